import { beforeAll, describe, expect, it } from "@jest/globals";
import { ensureVenv, markerLine, outcomesById, runHarness, testEvent, testEvents, totals } from "./harness-fixture.js";

describe("harness with pytest", () => {
  let venvBin = "";

  beforeAll(async () => {
    venvBin = await ensureVenv({ name: "django52", requirements: ["django~=5.2.0", "pytest", "pytest-django"] });
  }, 600_000);

  it("runs a pytest-django project and locates the failing assertion", async () => {
    const run = await runHarness({ project: "pytest-django", venvBin });

    expect(run.exitCode).toBe(1);
    expect(run.events[0]).toMatchObject({ event: "start", runner: "pytest", command: [expect.any(String), "-m", "pytest"] });
    expect(outcomesById(run)).toEqual({
      "polls/tests.py::test_saves_question": "passed",
      "polls/tests.py::test_shout_is_wrong": "failed",
    });
    expect(testEvent(run, "polls/tests.py::test_shout_is_wrong")).toMatchObject({
      path: "polls/tests.py",
      line: await markerLine("pytest-django", "polls/tests.py"),
      message: expect.stringMatching(/^AssertionError: assert 'HI' == 'hi'/),
    });
    expect(run.events.at(-1)).toMatchObject({ event: "end", exit_code: 1 });
    expect(totals(run)).toEqual({ passed: 1, failed: 1, error: 0, skipped: 0, xfail: 0, xpass: 0, total: 2 });
  });

  it("maps every pytest outcome and bounds huge messages", async () => {
    const run = await runHarness({ project: "pytest-outcomes", venvBin });
    const file = "tests/test_outcomes.py";

    expect(outcomesById(run)).toEqual({
      [`${file}::test_passes`]: "passed",
      [`${file}::test_skipped`]: "skipped",
      [`${file}::test_xfail`]: "xfail",
      [`${file}::test_xpass`]: "xpass",
      [`${file}::test_setup_error`]: "error",
      [`${file}::test_param[1]`]: "passed",
      [`${file}::test_param[2]`]: "failed",
      [`${file}::test_huge_message`]: "failed",
    });
    expect(testEvent(run, `${file}::test_skipped`).message).toBe("not ready yet");
    expect(testEvent(run, `${file}::test_xfail`).message).toBe("known bug");
    expect(testEvent(run, `${file}::test_setup_error`)).toMatchObject({
      path: file,
      line: await markerLine("pytest-outcomes", file, "# ponyci-expect-setup-error"),
      message: "RuntimeError: fixture broke",
    });
    expect(testEvent(run, `${file}::test_param[2]`)).toMatchObject({
      path: file,
      line: await markerLine("pytest-outcomes", file),
    });
    const huge = testEvent(run, `${file}::test_huge_message`);
    expect(Buffer.byteLength(String(huge.message))).toBeLessThanOrEqual(4096);
    expect(huge.message).toContain("[ponyci: truncated");
    expect(Buffer.byteLength(String(huge.traceback))).toBeLessThanOrEqual(16384);
    expect(totals(run)).toEqual({ passed: 2, failed: 2, error: 1, skipped: 1, xfail: 1, xpass: 1, total: 8 });
  });

  it("reports a module that cannot be collected as an error test at the import line", async () => {
    const run = await runHarness({
      project: "pytest-outcomes",
      venvBin,
      files: { "tests/test_broken.py": "import os\nimport pony_missing_module\n" },
    });

    expect(testEvent(run, "tests/test_broken.py")).toMatchObject({
      outcome: "error",
      path: "tests/test_broken.py",
      line: 2,
      message: "ModuleNotFoundError: No module named 'pony_missing_module'",
    });
    expect(run.exitCode).toBe(2);
  });

  it("reports a conftest.py that crashes as an error event", async () => {
    const run = await runHarness({
      project: "pytest-outcomes",
      venvBin,
      files: { "conftest.py": "import os\n\nraise RuntimeError('conftest broke')\n" },
    });

    expect(run.events.map((event) => event.event)).toEqual(["start", "error", "command", "end"]);
    expect(run.events[1]).toMatchObject({ message: "RuntimeError: conftest broke", path: "conftest.py", line: 3 });
    expect(run.exitCode).toBe(4);
  });

  it("reports broken Django settings under pytest-django as an error event at the settings line", async () => {
    const run = await runHarness({
      project: "pytest-django",
      venvBin,
      files: {
        "mysite/settings.py": [
          'SECRET_KEY = "x"',
          "INSTALLED_APPS = [",
          '    "polls",',
          '    "pollz",',
          "]",
          'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}',
          "",
        ].join("\n"),
      },
    });

    expect(run.events.map((event) => event.event)).toEqual(["start", "error", "command", "end"]);
    expect(run.events[1]).toMatchObject({
      message: "ModuleNotFoundError: No module named 'pollz'",
      path: "mysite/settings.py",
      line: 4,
    });
    expect(run.exitCode).not.toBe(0);
  });

  it("re-runs only the named node id (PONYCI_ONLY_TESTS)", async () => {
    const run = await runHarness({
      project: "pytest-outcomes",
      venvBin,
      env: { PONYCI_ONLY_TESTS: JSON.stringify(["tests/test_outcomes.py::test_param[2]"]) },
    });

    expect(run.events[0]?.command).toEqual([expect.any(String), "-m", "pytest", "tests/test_outcomes.py::test_param[2]"]);
    expect(outcomesById(run)).toEqual({ "tests/test_outcomes.py::test_param[2]": "failed" });
  });

  it("keeps one shard's node ids (PONYCI_SHARD_TESTS) or deselects other shards' (PONYCI_EXCLUDE_TESTS), issue 28", async () => {
    const file = "tests/test_outcomes.py";
    const plain = await runHarness({ project: "pytest-outcomes", venvBin });
    const run = await runHarness({ project: "pytest-outcomes", venvBin, env: { PONYCI_EXCLUDE_TESTS: JSON.stringify([`${file}::test_param[2]`, `${file}::test_xfail`]) } });
    const expected = { ...outcomesById(plain) };
    delete expected[`${file}::test_param[2]`];
    delete expected[`${file}::test_xfail`];
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    expect(outcomesById(run)).toEqual(expected);
    const none = await runHarness({ project: "pytest-outcomes", venvBin, env: { PONYCI_EXCLUDE_TESTS: JSON.stringify([file]) } });
    expect(outcomesById(none)).toEqual({});
    const shard = await runHarness({ project: "pytest-outcomes", venvBin, env: { PONYCI_SHARD_TESTS: JSON.stringify([`${file}::test_xfail`, "tests/test_gone.py"]) } });
    expect(shard.events[0]?.command).toEqual([expect.any(String), "-m", "pytest"]);
    expect(outcomesById(shard)).toEqual({ [`${file}::test_xfail`]: "xfail" });
  });

  it("runs the PONYCI_FIRST node ids first, then the rest in their order, with the same outcomes", async () => {
    const file = "tests/test_outcomes.py";
    const plain = await runHarness({ project: "pytest-outcomes", venvBin });
    const run = await runHarness({ project: "pytest-outcomes", venvBin, env: { PONYCI_FIRST: JSON.stringify([`${file}::test_param[2]`, `${file}::test_xfail`]) } });
    const order = (r: typeof run) => testEvents(r).map((e) => e.id);
    const rest = order(plain).filter((id) => id !== `${file}::test_param[2]` && id !== `${file}::test_xfail`);
    expect(order(run)).toEqual([`${file}::test_xfail`, `${file}::test_param[2]`, ...rest]);
    expect(outcomesById(run)).toEqual(outcomesById(plain));
    expect(run.exitCode).toBe(plain.exitCode);
  });

  it("reports per-test events and applies PONYCI_ONLY_TESTS when PONYCI_TEST_COMMAND runs pytest", async () => {
    const run = await runHarness({
      project: "pytest-django",
      venvBin,
      env: {
        PONYCI_TEST_COMMAND: "pytest -p no:cacheprovider polls/tests.py",
        PONYCI_ONLY_TESTS: JSON.stringify(["polls/tests.py::test_saves_question"]),
      },
    });

    expect(run.events[0]).toMatchObject({ runner: "command" });
    expect(outcomesById(run)).toEqual({ "polls/tests.py::test_saves_question": "passed" });
    expect(run.exitCode).toBe(0);
  });
});

describe("harness process", () => {
  let venvBin = "";

  beforeAll(async () => {
    venvBin = await ensureVenv({ name: "django52", requirements: ["django~=5.2.0", "pytest", "pytest-django"] });
  }, 600_000);

  it("exits with the command's exit code and still writes end", async () => {
    const run = await runHarness({ project: "django-pass", venvBin, env: { PONYCI_TEST_COMMAND: "echo hello; exit 3" } });

    expect(run.exitCode).toBe(3);
    expect(run.stdout).toContain("hello");
    // The failing command is named (issue 22: the runner shows it with its last output lines).
    expect(run.events.map((event) => event.event)).toEqual(["start", "command", "end"]);
    expect(run.events[1]).toMatchObject({ step: "test command", command: ["/bin/sh", "-c", "echo hello; exit 3"], exit_code: 3 });
    expect(run.events[2]).toMatchObject({ exit_code: 3, totals: { total: 0 } });
  });

  it("reports a malformed PONYCI_ONLY_TESTS as an error, then end", async () => {
    const run = await runHarness({ project: "django-pass", venvBin, env: { PONYCI_ONLY_TESTS: "polls.tests" } });

    expect(run.events.map((event) => event.event)).toEqual(["start", "error", "end"]);
    expect(run.events[1]?.message).toContain("PONYCI_ONLY_TESTS must be a JSON array");
    expect(run.exitCode).toBe(70);
  });
});

import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  ensureVenv,
  markerLine,
  outcomesById,
  runHarness,
  testEvent,
  testEvents,
  totals,
} from "./harness-fixture.js";

const DJANGO_VERSIONS = [
  { label: "Django 5.2", venv: "django52", requirement: "django~=5.2.0", major: "5.2." },
  { label: "Django 4.2", venv: "django42", requirement: "django~=4.2.0", major: "4.2." },
];

describe.each(DJANGO_VERSIONS)("harness with $label", ({ venv, requirement, major }) => {
  let venvBin = "";

  beforeAll(async () => {
    venvBin = await ensureVenv({ name: venv, requirements: [requirement, "pytest", "pytest-django"] });
  }, 600_000);

  it("reports passing and skipped tests of a manage.py project, with start and end", async () => {
    const run = await runHarness({ project: "django-pass", venvBin });

    expect(run.exitCode).toBe(0);
    const start = run.events[0];
    expect(start).toMatchObject({ event: "start", runner: "django" });
    expect(start?.command).toEqual([expect.stringMatching(/python$/), "manage.py", "test"]);
    expect(String(start?.django)).toMatch(new RegExp(`^${major.replace(".", "\\.")}`));
    expect(start?.python).toMatch(/^3\.\d+\.\d+/);
    expect(outcomesById(run)).toEqual({
      "polls.tests.QuestionModelTests.test_saves_and_reads_back": "passed",
      "polls.tests.QuestionModelTests.test_shout": "passed",
      "polls.tests.ArithmeticTests.test_addition": "passed",
      "polls.tests.ArithmeticTests.test_later": "skipped",
    });
    expect(testEvent(run, "polls.tests.ArithmeticTests.test_later").message).toBe("not ready yet");
    expect(run.events.at(-1)).toMatchObject({ event: "end", exit_code: 0 });
    expect(totals(run)).toEqual({ passed: 3, failed: 0, error: 0, skipped: 1, xfail: 0, xpass: 0, total: 4 });
  });

  it("leaves the test output on stdout/stderr and keeps events out of it", async () => {
    const run = await runHarness({ project: "django-pass", venvBin });

    expect(run.stderr).toContain("Ran 4 tests");
    expect(`${run.stdout}${run.stderr}`).not.toContain('"event"');
  });

  it("locates failures, errors and failing subtests at the repository line", async () => {
    const run = await runHarness({ project: "django-fail", venvBin });

    expect(run.exitCode).toBe(1);
    expect(outcomesById(run)).toEqual({
      "polls.tests.QuestionTests.test_passes": "passed",
      "polls.tests.QuestionTests.test_fails": "failed",
      "polls.tests.QuestionTests.test_errors": "error",
      "polls.tests.QuestionTests.test_subtests [number=2]": "failed",
    });
    const failed = testEvent(run, "polls.tests.QuestionTests.test_fails");
    expect(failed).toMatchObject({
      path: "polls/tests.py",
      line: await markerLine("django-fail", "polls/tests.py"),
      message: expect.stringMatching(/^AssertionError: 'A' != 'B'/),
    });
    expect(failed.traceback).toContain("ponyci-expect-fail");
    expect(testEvent(run, "polls.tests.QuestionTests.test_errors")).toMatchObject({
      path: "polls/tests.py",
      line: await markerLine("django-fail", "polls/tests.py", "# ponyci-expect-error"),
      message: "KeyError: 'question'",
    });
    expect(testEvent(run, "polls.tests.QuestionTests.test_subtests [number=2]")).toMatchObject({
      path: "polls/tests.py",
      line: await markerLine("django-fail", "polls/tests.py", "# ponyci-expect-subtest-fail"),
      message: "AssertionError: 2 == 2",
    });
    expect(testEvent(run, "polls.tests.QuestionTests.test_passes")).not.toHaveProperty("path");
    expect(run.events.at(-1)).toMatchObject({ event: "end", exit_code: 1 });
    expect(totals(run)).toEqual({ passed: 1, failed: 2, error: 1, skipped: 0, xfail: 0, xpass: 0, total: 4 });
  });

  it("reports a crash before the tests as an error event at the settings line", async () => {
    const run = await runHarness({ project: "django-import-error", venvBin });

    expect(run.exitCode).toBe(1);
    expect(run.events.map((event) => event.event)).toEqual(["start", "error", "command", "end"]);
    expect(run.events[1]).toMatchObject({
      message: "ModuleNotFoundError: No module named 'pollz'",
      path: "mysite/settings.py",
      line: await markerLine("django-import-error", "mysite/settings.py"),
    });
    expect(run.events[1]?.traceback).toContain("ModuleNotFoundError");
    expect(totals(run)).toEqual({ passed: 0, failed: 0, error: 0, skipped: 0, xfail: 0, xpass: 0, total: 0 });
  });

  it("reports unimportable test modules as errors at the import and syntax error lines", async () => {
    const run = await runHarness({ project: "django-broken-test-module", venvBin });

    expect(run.exitCode).toBe(1);
    expect(outcomesById(run)).toEqual({
      "unittest.loader._FailedTest.polls.test_missing": "error",
      "unittest.loader._FailedTest.polls.test_syntax": "error",
      "polls.test_ok.OkTests.test_ok": "passed",
    });
    expect(testEvent(run, "unittest.loader._FailedTest.polls.test_missing")).toMatchObject({
      path: "polls/test_missing.py",
      line: await markerLine("django-broken-test-module", "polls/test_missing.py"),
      message: expect.stringMatching(/^ImportError: cannot import name 'Answer'/),
    });
    expect(testEvent(run, "unittest.loader._FailedTest.polls.test_syntax")).toMatchObject({
      path: "polls/test_syntax.py",
      line: await markerLine("django-broken-test-module", "polls/test_syntax.py"),
      message: "SyntaxError: invalid syntax",
    });
  });

  it("runs a pluggable app's runtests.py (get_runner) and reports its tests", async () => {
    const run = await runHarness({ project: "django-app-runtests", venvBin });

    expect(run.exitCode).toBe(1);
    expect(run.events[0]).toMatchObject({ runner: "django", command: [expect.any(String), "runtests.py"] });
    expect(outcomesById(run)).toEqual({
      "tests.test_utils.SlugifyTitleTests.test_spaces_become_dashes": "passed",
      "tests.test_utils.SlugifyTitleTests.test_punctuation_is_dropped": "failed",
    });
    expect(testEvent(run, "tests.test_utils.SlugifyTitleTests.test_punctuation_is_dropped")).toMatchObject({
      path: "tests/test_utils.py",
      line: await markerLine("django-app-runtests", "tests/test_utils.py"),
    });
  });

  it("falls back to python -m django test with the settings module it finds", async () => {
    const run = await runHarness({ project: "django-app-runtests", venvBin, files: { "runtests.py": null } });

    expect(run.events[0]).toMatchObject({
      runner: "django",
      command: [expect.any(String), "-m", "django", "test"],
      settings: "tests.settings",
    });
    expect(totals(run)).toMatchObject({ passed: 1, failed: 1, total: 2 });
  });

  it("re-runs only the named failing test (PONYCI_ONLY_TESTS) with manage.py", async () => {
    const run = await runHarness({
      project: "django-fail",
      venvBin,
      env: { PONYCI_ONLY_TESTS: JSON.stringify(["polls.tests.QuestionTests.test_fails"]) },
    });

    expect(run.events[0]?.command).toEqual([expect.any(String), "manage.py", "test", "polls.tests.QuestionTests.test_fails"]);
    expect(outcomesById(run)).toEqual({ "polls.tests.QuestionTests.test_fails": "failed" });
    expect(run.exitCode).toBe(1);
  });

  it("re-runs only the named tests inside runtests.py, whose arguments it does not know", async () => {
    const run = await runHarness({
      project: "django-app-runtests",
      venvBin,
      env: { PONYCI_ONLY_TESTS: JSON.stringify(["tests.test_utils.SlugifyTitleTests.test_spaces_become_dashes"]) },
    });

    expect(outcomesById(run)).toEqual({ "tests.test_utils.SlugifyTitleTests.test_spaces_become_dashes": "passed" });
    expect(run.exitCode).toBe(0);
  });

  it("re-runs a failed subtest by running its parent test", async () => {
    const run = await runHarness({
      project: "django-fail",
      venvBin,
      env: { PONYCI_ONLY_TESTS: JSON.stringify(["polls.tests.QuestionTests.test_subtests [number=2]"]) },
    });

    expect(outcomesById(run)).toEqual({ "polls.tests.QuestionTests.test_subtests [number=2]": "failed" });
  });

  it.each([
    ["manage.py test with a label", "python manage.py test polls.tests.QuestionTests.test_passes"],
    ["django-admin test", "django-admin test --settings=mysite.settings --pythonpath=. polls.tests.QuestionTests.test_passes"],
    ["python -m django test", "DJANGO_SETTINGS_MODULE=mysite.settings python -m django test polls.tests.QuestionTests.test_passes"],
  ])("reports per-test events for a PONYCI_TEST_COMMAND running %s", async (_name, command) => {
    const run = await runHarness({ project: "django-fail", venvBin, env: { PONYCI_TEST_COMMAND: command } });

    expect(run.events[0]).toMatchObject({ runner: "command", command: ["/bin/sh", "-c", command] });
    expect(outcomesById(run)).toEqual({ "polls.tests.QuestionTests.test_passes": "passed" });
    expect(run.exitCode).toBe(0);
  });

  it("applies PONYCI_ONLY_TESTS to a PONYCI_TEST_COMMAND too", async () => {
    const run = await runHarness({
      project: "django-fail",
      venvBin,
      env: {
        PONYCI_TEST_COMMAND: "python manage.py test polls",
        PONYCI_ONLY_TESTS: JSON.stringify(["polls.tests.QuestionTests.test_errors"]),
      },
    });

    expect(outcomesById(run)).toEqual({ "polls.tests.QuestionTests.test_errors": "error" });
    expect(testEvents(run)).toHaveLength(1);
  });

  it("runs one shard's classes (PONYCI_SHARD_TESTS) or everything but other shards' (PONYCI_EXCLUDE_TESTS), issue 28", async () => {
    const plain = await runHarness({ project: "django-pass", venvBin });
    const run = await runHarness({ project: "django-pass", venvBin, env: { PONYCI_EXCLUDE_TESTS: JSON.stringify(["polls.tests.QuestionModelTests"]) } });

    const expected = Object.fromEntries(Object.entries(outcomesById(plain)).filter(([id]) => !id.startsWith("polls.tests.QuestionModelTests.")));
    expect(Object.keys(expected)).toEqual(["polls.tests.ArithmeticTests.test_addition", "polls.tests.ArithmeticTests.test_later"]);
    expect(outcomesById(run)).toEqual(expected);
    expect(run.exitCode).toBe(0);
    // The other shard: its classes only, by filtering (a class gone since its timing was recorded selects nothing, and fails nothing).
    const shard = await runHarness({ project: "django-pass", venvBin, env: { PONYCI_SHARD_TESTS: JSON.stringify(["polls.tests.QuestionModelTests", "polls.tests.RenamedSince"]) } });
    expect(shard.events[0]?.command).toEqual([expect.any(String), "manage.py", "test"]);
    expect(Object.keys(outcomesById(shard))).toEqual(["polls.tests.QuestionModelTests.test_saves_and_reads_back", "polls.tests.QuestionModelTests.test_shout"]);
    expect(shard.exitCode).toBe(0);
  });

  it("runs the PONYCI_FIRST tests first, within Django's TestCase / SimpleTestCase groups, with the same verdict", async () => {
    const plain = await runHarness({ project: "django-pass", venvBin });
    const run = await runHarness({
      project: "django-pass",
      venvBin,
      env: { PONYCI_FIRST: JSON.stringify(["polls.tests.QuestionModelTests.test_shout", "polls.tests.ArithmeticTests.test_later"]) },
    });
    const order = (r: typeof run) => testEvents(r).map((e) => e.id);
    expect(order(plain)).toEqual([
      "polls.tests.QuestionModelTests.test_saves_and_reads_back",
      "polls.tests.QuestionModelTests.test_shout",
      "polls.tests.ArithmeticTests.test_addition",
      "polls.tests.ArithmeticTests.test_later",
    ]);
    // test_later moves ahead of test_addition but never ahead of the TestCase group.
    expect(order(run)).toEqual([
      "polls.tests.QuestionModelTests.test_shout",
      "polls.tests.QuestionModelTests.test_saves_and_reads_back",
      "polls.tests.ArithmeticTests.test_later",
      "polls.tests.ArithmeticTests.test_addition",
    ]);
    expect(outcomesById(run)).toEqual(outcomesById(plain));
    expect(run.exitCode).toBe(plain.exitCode);
  });

  it("ignores a malformed PONYCI_FIRST: ordering is never a reason to fail", async () => {
    const run = await runHarness({ project: "django-pass", venvBin, env: { PONYCI_FIRST: "polls.tests" } });
    expect(run.exitCode).toBe(0);
    expect(testEvents(run)).toHaveLength(4);
  });
});

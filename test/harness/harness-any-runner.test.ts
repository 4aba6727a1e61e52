import { beforeAll, describe, expect, it } from "@jest/globals";
import { ensureVenv, markerLine, outcomesById, runHarness, testEvent, totals } from "./harness-fixture.js";

// Issue 22: runners the Django hook never sees still give per-test results.
describe("results from any unittest-based runner", () => {
  let venvBin = "";

  beforeAll(async () => {
    venvBin = await ensureVenv({ name: "django52", requirements: ["django~=5.2.0", "pytest", "pytest-django"] });
  }, 600_000);

  it("a runtests.py passing its own runner (run_suite replaced, a result class that never calls unittest's add*) reports every test once", async () => {
    const run = await runHarness({ project: "runtests-own-runner", venvBin, env: { PONYCI_TEST_COMMAND: "python runtests.py --testrunner tests.own_runner.OwnRunner" } });
    expect(run.exitCode).toBe(1);
    expect(outcomesById(run)).toEqual({
      "tests.test_things.ThingsTests.test_one": "passed",
      "tests.test_things.ThingsTests.test_two": "passed",
      "tests.test_things.ThingsTests.test_wrong": "failed",
      "tests.test_things.ThingsTests.test_later": "skipped",
    });
    expect(testEvent(run, "tests.test_things.ThingsTests.test_wrong")).toMatchObject({ path: "tests/test_things.py", line: await markerLine("runtests-own-runner", "tests/test_things.py") });
    expect(totals(run)).toEqual({ passed: 2, failed: 1, error: 0, skipped: 1, xfail: 0, xpass: 0, total: 4 });
    expect(run.events.filter((e) => e.event === "run").map((e) => e.framework)).toEqual(["unittest"]);
  });

  it("plain unittest under a shell script reports its tests and that a runner ran", async () => {
    const run = await runHarness({ project: "unittest-plain", venvBin, env: { PONYCI_TEST_COMMAND: "sh run_my_tests.sh" } });
    expect(run.exitCode).toBe(0);
    expect(outcomesById(run)).toEqual({ "tests.test_plain.PlainTests.test_adds": "passed", "tests.test_plain.PlainTests.test_subtracts": "passed" });
    expect(run.events.some((e) => e.event === "run")).toBe(true);
  });

  it("a command that runs no Python test runner reports no run event (the host then says the counts are unknown)", async () => {
    const run = await runHarness({ project: "unittest-plain", venvBin, env: { PONYCI_TEST_COMMAND: "echo all good" } });
    expect(run.exitCode).toBe(0);
    expect(run.events.filter((e) => e.event === "run" || e.event === "test")).toEqual([]);
  });

  it("Django's own runner reports each test once, with the django run event", async () => {
    const run = await runHarness({ project: "django-pass", venvBin });
    expect(totals(run)).toMatchObject({ total: 4 });
    expect(run.events.filter((e) => e.event === "run").map((e) => e.framework)).toEqual(["django"]);
  });
});

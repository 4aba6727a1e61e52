import { beforeAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureVenv, outcomesById, runHarness, testEvents, totals, type HarnessRun } from "./harness-fixture.js";

/**
 * pytest split over PONYCI_WORKERS forked workers pulling file/class groups
 * from a shared queue (runner/harness/ponyci_pytest_split.py, issue 28), on
 * the host: the same results as one process, a class in one process, the
 * PONYCI_ORDER groups taken first, one test database per worker under
 * pytest-django, a crashed worker failing the run with an error that names it.
 */
const PLAIN = {
  "tests/test_classes.py::TestAlpha::test_one": "skipped",
  "tests/test_classes.py::TestAlpha::test_two": "skipped",
  "tests/test_classes.py::TestBeta::test_one": "skipped",
  "tests/test_classes.py::TestBeta::test_two": "skipped",
  "tests/test_classes.py::GammaTests::test_one": "skipped",
  "tests/test_classes.py::GammaTests::test_two": "skipped",
  "tests/test_funcs.py::test_passes": "passed",
  "tests/test_funcs.py::test_param[1]": "passed",
  "tests/test_funcs.py::test_param[2]": "failed",
  "tests/test_funcs.py::test_xfail": "xfail",
  "tests/test_funcs.py::test_module_fixture_once": "passed",
  "tests/test_funcs.py::test_crash": "passed",
  "tests/test_more.py::test_slow_a": "passed",
  "tests/test_more.py::test_slow_b": "passed",
  "tests/test_more.py::test_where": "skipped",
  "tests/test_more.py::TestLast::test_last": "passed",
};

/** test id -> the `started=… pid=…` of its skip reason. */
function whereById(run: HarnessRun): Map<string, { started: number; pid: number }> {
  const where = new Map<string, { started: number; pid: number }>();
  for (const event of testEvents(run)) {
    const match = /^started=([\d.]+) pid=(\d+)$/.exec(String(event.message ?? ""));
    if (match) where.set(String(event.id), { started: Number(match[1]), pid: Number(match[2]) });
  }
  return where;
}

describe("harness: pytest split over workers", () => {
  let venvBin = "";

  beforeAll(async () => {
    venvBin = await ensureVenv({ name: "django52", requirements: ["django~=5.2.0", "pytest", "pytest-django"] });
  }, 600_000);

  it("2 workers report every test once with the outcomes of 1 worker; a class stays in one process", async () => {
    const one = await runHarness({ project: "pytest-split", venvBin });
    const two = await runHarness({ project: "pytest-split", venvBin, env: { PONYCI_WORKERS: "2" } });

    expect(outcomesById(one)).toEqual(PLAIN);
    expect(outcomesById(two)).toEqual(PLAIN);
    expect(testEvents(two)).toHaveLength(Object.keys(PLAIN).length);
    expect(totals(two)).toEqual(totals(one));
    expect([one.exitCode, two.exitCode]).toEqual([1, 1]);
    expect(two.stderr).toContain("6 test groups pulled by 2 pytest workers");
    const where = whereById(two);
    for (const cls of ["TestAlpha", "TestBeta", "GammaTests"]) {
      expect(where.get(`tests/test_classes.py::${cls}::test_one`)?.pid).toBe(where.get(`tests/test_classes.py::${cls}::test_two`)?.pid);
    }
    expect(new Set([...where.values()].map((w) => w.pid)).size).toBe(2);
    expect(new Set([...whereById(one).values()].map((w) => w.pid)).size).toBe(1);
  }, 120_000);

  it("the groups PONYCI_ORDER names first are pulled first; a group it does not name goes before them", async () => {
    const order = ["tests/test_classes.py::GammaTests", "tests/test_classes.py::TestBeta", "tests/test_classes.py::TestAlpha", "tests/test_more.py", "tests/test_more.py::TestLast"];
    // tests/test_funcs.py has no timing (it may be long): pulled first, GammaTests second; the others wait for a worker to be free.
    const run = await runHarness({ project: "pytest-split", venvBin, env: { PONYCI_WORKERS: "2", PONYCI_ORDER: JSON.stringify(order) } });
    expect(outcomesById(run)).toEqual(PLAIN);
    const where = whereById(run);
    const started = (cls: string) => where.get(`tests/test_classes.py::${cls}::test_one`)!.started;
    expect(started("GammaTests")).toBeLessThan(started("TestAlpha"));
    expect(started("GammaTests")).toBeLessThan(started("TestBeta"));
  }, 120_000);

  it("a worker killed mid-group fails the run with an error naming it and the group; the other worker's results stay", async () => {
    const run = await runHarness({ project: "pytest-split", venvBin, env: { PONYCI_WORKERS: "2", PONYCI_FIXTURE_CRASH: "1" } });

    expect(run.exitCode).toBe(1);
    const errors = run.events.filter((event) => event.event === "error");
    expect(errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^pytest worker gw[01] crashed \(killed by signal 9\) while running tests\/test_funcs\.py/) }),
    ]);
    const outcomes = outcomesById(run);
    expect(outcomes["tests/test_funcs.py::test_crash"]).toBeUndefined();
    expect(outcomes["tests/test_classes.py::TestAlpha::test_one"]).toBe("skipped");
    expect(run.events.at(-1)).toMatchObject({ event: "end", exit_code: 1 });
  }, 120_000);

  it("with -x the worker that fails asks the others to stop: nothing is reported as lost", async () => {
    const run = await runHarness({ project: "pytest-split", venvBin, env: { PONYCI_WORKERS: "2", PONYCI_TEST_COMMAND: "python -m pytest -x" } });

    expect(run.exitCode).toBe(1);
    expect(run.events.filter((event) => event.event === "error")).toEqual([]);
    expect(outcomesById(run)["tests/test_funcs.py::test_param[2]"]).toBe("failed");
    expect(testEvents(run).filter((event) => event.outcome === "failed")).toHaveLength(1);
  }, 120_000);

  interface CoverageSeen {
    /** The lines coverage saw run in each of the fixture's test files (`coverage json`). */
    lines?: Record<string, number[]>;
    percent?: number;
    /** `coverage report`'s exit code: 2 when the total is under the configured fail_under. */
    reportExit?: number;
  }

  async function coverageReport(venvBin: string, root: string, into: CoverageSeen) {
    const options = { cwd: root, env: { PATH: `${venvBin}:/usr/bin:/bin` }, extendEnv: false, reject: false } as const;
    await execa(join(venvBin, "python"), ["-m", "coverage", "json", "-o", "cov.json"], options);
    const report = JSON.parse(await readFile(join(root, "cov.json"), "utf8")) as { files: Record<string, { executed_lines: number[] }>; totals: { percent_covered: number } };
    into.lines = Object.fromEntries(Object.entries(report.files).filter(([file]) => file.startsWith("tests/")).map(([file, data]) => [file, data.executed_lines]));
    into.percent = report.totals.percent_covered;
    into.reportExit = (await execa(join(venvBin, "python"), ["-m", "coverage", "report"], options)).exitCode;
  }

  /** The same fixture on 1 and 2 workers, each with what coverage saw. */
  async function oneAndTwo(venvBin: string, env: Record<string, string>, files?: Record<string, string>) {
    const one: CoverageSeen = {};
    const two: CoverageSeen = {};
    const whole = await runHarness({ project: "pytest-split", venvBin, env, ...(files ? { files } : {}), afterRun: (root) => coverageReport(venvBin, root, one) });
    const split = await runHarness({ project: "pytest-split", venvBin, env: { ...env, PONYCI_WORKERS: "2" }, ...(files ? { files } : {}), afterRun: (root) => coverageReport(venvBin, root, two) });
    expect(split.stderr).toContain("pulled by 2 pytest workers");
    expect(split.stderr).toContain("coverage data of 2 of 2 pytest workers added");
    expect(split.stderr).not.toContain("could not save its coverage data");
    expect(outcomesById(whole)).toEqual(PLAIN);
    expect(outcomesById(split)).toEqual(PLAIN);
    // A test body's lines run only in a worker: before, the split's data lacked them.
    expect(Object.keys(one.lines!).sort()).toEqual(["tests/test_classes.py", "tests/test_funcs.py", "tests/test_more.py"]);
    expect(two.lines).toEqual(one.lines);
    expect(two.percent).toBe(one.percent);
    return { whole, split, one, two };
  }

  it("`coverage run`: the workers' lines reach the project's data, so 2 workers report the coverage of 1 and pass its fail_under", async () => {
    const coverageBin = await ensureVenv({ name: "pytest-coverage", requirements: ["pytest", "coverage>=7.10"] });
    // The controller alone saw about 60 % (imports and definitions): under the threshold.
    const { one, two } = await oneAndTwo(coverageBin, { PONYCI_TEST_COMMAND: "python -m coverage run -m pytest" }, { ".coveragerc": "[run]\nsource = tests\n[report]\nfail_under = 90\n" });
    expect(one.percent).toBeGreaterThanOrEqual(90);
    expect([one.reportExit, two.reportExit]).toEqual([0, 0]);
  }, 600_000);

  it("`coverage run` with `[run] patch = fork, _exit` (coverage.py restarts itself in a forked process): the controller's data file is not erased", async () => {
    const coverageBin = await ensureVenv({ name: "pytest-coverage", requirements: ["pytest", "coverage>=7.10"] });
    await oneAndTwo(coverageBin, { PONYCI_TEST_COMMAND: "python -m coverage run -m pytest" }, { ".coveragerc": "[run]\nsource = tests\npatch =\n    fork\n    _exit\n" });
  }, 600_000);

  it("pytest-cov: its report and --cov-fail-under see every worker's lines", async () => {
    const covBin = await ensureVenv({ name: "pytest-cov", requirements: ["pytest", "pytest-cov>=7"] });
    const { whole, split, one } = await oneAndTwo(covBin, { PONYCI_TEST_COMMAND: "pytest --cov=tests --cov-fail-under=95" });
    expect(one.percent).toBeGreaterThanOrEqual(95);
    // pytest-cov's verdict on the threshold is the same; with only the controller's lines it was far below.
    const verdict = (run: HarnessRun) => /Required test coverage of 95% (reached|not reached)/.exec(run.stdout)?.[1];
    expect(verdict(whole)).toBe("reached");
    expect(verdict(split)).toBe("reached");
  }, 600_000);

  it("pytest-cov 6 (it measures a forked process on its own, per test): the worker's data is still saved and added, without a traceback", async () => {
    const covBin = await ensureVenv({ name: "pytest-cov6", requirements: ["pytest", "pytest-cov==6.3.0"] });
    await oneAndTwo(covBin, { PONYCI_TEST_COMMAND: "pytest --cov=tests --cov-branch" });
  }, 600_000);

  it("pytest-django: each worker has its own test database (xdist's worker id), the outcomes of 1 worker", async () => {
    const one = await runHarness({ project: "pytest-split-django", venvBin });
    const two = await runHarness({ project: "pytest-split-django", venvBin, env: { PONYCI_WORKERS: "2" } });

    const expected = {
      "shop/tests.py::FirstTests::test_rows": "passed",
      "shop/tests.py::FirstTests::test_where": "skipped",
      "shop/tests.py::SecondTests::test_rows": "passed",
      "shop/tests.py::SecondTests::test_where": "skipped",
      "shop/tests.py::test_function_rows": "passed",
      "shop/tests.py::test_function_where": "skipped",
      "shop/tests.py::test_function_fails": "failed",
    };
    expect(outcomesById(one)).toEqual(expected);
    expect(outcomesById(two)).toEqual(expected);
    expect(totals(two)).toEqual(totals(one));
    // Three groups (two classes, the module's functions) on two workers: which takes which is a race, but each
    // worker ran at least one, on its own database, and one process always used the same one.
    const where = testEvents(two).flatMap((event) => {
      const found = /pid=(\d+) db=(\S+)$/.exec(String(event.message ?? ""));
      return found ? [{ pid: found[1], db: found[2] }] : [];
    });
    expect(where).toHaveLength(3);
    expect([...new Set(where.map((w) => w.db))].sort()).toEqual(["test_db.sqlite3_gw0", "test_db.sqlite3_gw1"]);
    for (const { pid, db } of where) expect(where.filter((w) => w.pid === pid).every((w) => w.db === db)).toBe(true);
  }, 120_000);
});

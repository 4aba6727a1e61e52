import { describe, expect, it } from "@jest/globals";
import { parseJunitXml } from "../../runner/src/cell/read-junit-reports.js";
import { createJobSpec } from "../../src/domain/job-spec.js";
import { renderRunTable } from "../../src/cli/render-run-table.js";
import { renderCheckTitle } from "../../src/github/checks/render-check-title.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { plannedEnvironment } from "../support/plan-requirements.js";
import { containersOf, createTestRunner, jobId, runSpec } from "../support/test-runner.js";

/** Issue 22: results from any runner, never a silent zero. Real Docker. */
const runner = createTestRunner();
const cell = { python: "3.11", django: "5.2" };

async function runCommand(command: string) {
  const repo = await createFixtureRepo("unittest-plain");
  const id = jobId("any-runner");
  const run = await runSpec(runner, { jobId: id, source: { url: repo.dir, sha: repo.sha }, ...createJobSpec(cell, { command, environment: plannedEnvironment(repo.dir, cell) }) });
  expect(await containersOf(id)).toEqual([]);
  return run;
}

describe("a cell's results whatever runs its tests", () => {
  it("plain unittest under a shell script: per-test results", async () => {
    const run = await runCommand("sh run_my_tests.sh");
    expect(run.finished).toMatchObject({ conclusion: "success", counts: { passed: 2, total: 2 } });
    expect(run.finished.countsUnknown).toBeUndefined();
  }, 300_000);

  it("JUnit XML the command wrote: its tests counted, the checkout's old XML and a link to a host file never read", async () => {
    const run = await runCommand("sh write_junit.sh");
    expect(run.finished.conclusion).toBe("failure");
    expect(run.finished.counts).toMatchObject({ passed: 2, failed: 1, total: 3 });
    expect(run.tests.map((t) => [t.id, t.outcome])).toEqual([
      ["pkg.tests.MathTests.test_add", "passed"],
      ["pkg.tests.MathTests.test_sub", "passed"],
      ["pkg.tests.MathTests.test_div", "failed"],
    ]);
    expect(run.tests[2]?.message).toBe("ZeroDivisionError: division by zero");
    const log = run.events.flatMap((e) => (e.type === "log" ? [e.line] : []));
    expect(log).toContain("Read 3 test results from JUnit XML: reports/TEST-results.xml");
    expect(log.some((line) => line.includes("TEST-link.xml") && line.includes("symbolic link"))).toBe(true);
  }, 300_000);

  it("no runner Pony CI reads and no report: the counts are unknown, never '0 passed', never green", async () => {
    const run = await runCommand("echo all good");
    expect(run.finished).toMatchObject({ conclusion: "neutral", countsUnknown: true });
    expect(run.finished.notes).toEqual([expect.stringContaining("could not read this run's tests")]);
    const report = { cell: { ...cell, database: "sqlite" as const }, finished: run.finished, failures: [] };
    expect(renderRunTable([report]).split("\n")[2]).toMatch(/neutral\s+\?\s+\?\s+\?\s+\?/);
    expect(renderCheckTitle({ finished: run.finished })).toMatch(/^Test counts unknown \(no runner Pony CI reads\) in /);
  }, 300_000);
});

describe("parseJunitXml", () => {
  it("reads failures, errors and skips; ids as classname.name", () => {
    const xml = `<testsuite><testcase classname="a.B" name="t1" time="1.5"><error message="boom">tb</error></testcase><testcase name="bare"><skipped message="later"/></testcase></testsuite>`;
    expect(parseJunitXml(xml)).toEqual([
      { id: "a.B.t1", outcome: "error", durationMs: 1500, message: "boom", traceback: "tb" },
      { id: "bare", outcome: "skipped", durationMs: 0, message: "later" },
    ]);
  });

  it("refuses a DOCTYPE (no entity is expanded) and ignores XML that is not a test report", () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><testsuite><testcase name="&b;"/></testsuite>`;
    expect(parseJunitXml(laughs)).toBe("a DOCTYPE or entity declaration is not accepted");
    expect(parseJunitXml("<project><modelVersion/></project>")).toBeUndefined();
    expect(parseJunitXml("<testsuite><testcase")).toEqual(expect.stringContaining("not well-formed"));
  });
});

import { describe, expect, it } from "@jest/globals";
import type { TestOutcome } from "../../src/domain/events.js";
import { classifyFailures } from "../../src/history/classify-failures.js";
import { judgeCell } from "../../src/history/judge-cell.js";
import { planCheckWrites } from "../../src/github/checks/plan-check-writes.js";
import { renderCheckOutput } from "../../src/github/checks/render-check-output.js";
import { renderFailureReport } from "../../src/github/checks/render-failure-report.js";
import { CELL, finishedEvent, testResult } from "../support/github-check-fixtures.js";
import { assertValidRequestBody } from "../support/github-schema.js";

const UPDATE = "/repos/{owner}/{repo}/check-runs/{check_run_id}";
const map = <T>(entries: Record<string, T>) => new Map(Object.entries(entries));

function reportFor(ids: string[], base: Record<string, TestOutcome[]>, sameCommit: Record<string, TestOutcome[]> = {}) {
  return classifyFailures({
    failures: ids.map((id) => testResult(id, "failed")),
    passed: [],
    base: { sha: "0123456789abcdef0123456789abcdef01234567", label: "main", outcomes: map(base) },
    sameCommit: map(sameCommit),
    recent: new Map(),
    baseBranch: new Map(),
    policy: { quarantine: [{ test: "polls.tests.Q.*", reason: "see #4 @octocat" }], alreadyFailing: "failure" },
    now: Date.parse("2026-06-15T00:00:00Z"),
  });
}

describe("check-run output with the failure report", () => {
  it("leads the title and summary with the buckets, tags the annotations, and stays within GitHub's schema", () => {
    const tests = ["polls.tests.A.test_new", "polls.tests.A.test_old", "polls.tests.Q.test_q"].map((id) => testResult(id, "failed"));
    const finished = finishedEvent([...tests, testResult("polls.tests.A.test_ok", "passed")]);
    const report = reportFor(tests.map((t) => t.id), { "polls.tests.A.test_new": ["passed"], "polls.tests.A.test_old": ["failed"], "polls.tests.Q.test_q": ["passed"] });
    const output = renderCheckOutput({ cell: CELL, finished, tests, logTail: [], failureReport: report });
    expect(output.title).toMatch(/^1 new failure, 1 already failing on main, 1 quarantined · 1 passed, 3 failed in /);
    expect(output.summary.indexOf("### What failed, and why")).toBeLessThan(output.summary.indexOf("| Passed |"));
    expect(output.annotations.map((a) => [a.title, a.annotation_level])).toEqual([
      ["new: polls.tests.A.test_new", "failure"],
      ["already failing: polls.tests.A.test_old", "failure"],
      ["quarantined: polls.tests.Q.test_q", "warning"],
    ]);
    const conclusion = judgeCell(finished, report) ?? "failure";
    for (const write of planCheckWrites({ output, conclusion, counts: finished.counts, completedAt: 0 })) assertValidRequestBody("PATCH", UPDATE, write);
  });

  it("makes hostile test ids and quarantine reasons inert: no table break, no mention, no HTML", () => {
    const hostile = "x.T.test_a | **b** <img src=x onerror=alert(1)> @octocat #1 [l](http://e.vil)";
    const report = reportFor([hostile, "polls.tests.Q.test_q"], { [hostile]: ["passed"] });
    const section = renderFailureReport(report);
    const rows = section.split("\n").filter((line) => line.startsWith("| <code>"));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBe(5); // 3 cells: no extra column from an escaped pipe
    expect(section).not.toMatch(/<img|(?<!\\)@octocat|\*\*b|\]\(http/);
    expect(section).toContain("see \\#4 \\@octocat");
  });

  it("shows both attempts of a flaky test and says why a no-base failure counts", () => {
    const flaky = renderFailureReport(reportFor(["polls.tests.A.test_f"], { "polls.tests.A.test_f": ["passed"] }, { "polls.tests.A.test_f": ["failed", "passed"] }));
    expect(flaky).toMatch(/\| flaky \| failed, then passed on this commit \|/);
    const noBase = classifyFailures({ failures: [testResult("t.a", "failed")], passed: [], base: { missing: "this is the first build of branch main" }, sameCommit: new Map(), recent: new Map(), baseBranch: new Map(), policy: { quarantine: [], alreadyFailing: "failure" }, now: 0 });
    expect(renderFailureReport(noBase)).toMatch(/\*\*No base to compare with:\*\* this is the first build of branch main\. Every failure counts/);
    expect(noBase.conclusion).toBe("failure");
  });

  it("keeps the runner's conclusion when the suite did not run to a verdict", () => {
    const report = reportFor(["polls.tests.Q.test_q"], {});
    expect(report.conclusion).toBe("success");
    expect(judgeCell({ conclusion: "failure" }, report)).toBe("success");
    expect(judgeCell({ conclusion: "failure", error: { message: "crashed" } }, report)).toBeUndefined();
    expect(judgeCell({ conclusion: "timed_out" }, report)).toBeUndefined();
    expect(judgeCell({ conclusion: "failure" }, undefined)).toBeUndefined();
  });
});

import { describe, expect, it } from "@jest/globals";
import { emptyCounts } from "../../src/domain/events.js";
import { renderProgress } from "../../src/github/checks/render-progress.js";
import { CELL, countsOf, testResult, testResults } from "../support/github-check-fixtures.js";
import { assertValidRequestBody } from "../support/github-schema.js";

describe("renderProgress", () => {
  it.each([
    ["before any result", [], "Running: no results yet"],
    ["after results", [...testResults(120, "passed"), ...testResults(1, "failed")], "Running: 120 passed, 1 failed so far"],
    ["with errors and skips", [...testResults(2, "passed"), ...testResults(1, "error"), ...testResults(1, "skipped")], "Running: 2 passed, 1 error, 1 skipped so far"],
  ])("titles a cell %s", (_name, tests, title) => {
    const failures = tests.filter((t) => t.outcome === "failed" || t.outcome === "error");
    const output = renderProgress({ cell: CELL, counts: countsOf(tests), failures });
    expect(output.title).toBe(title);
    assertValidRequestBody("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", { status: "in_progress", output });
    assertValidRequestBody("POST", "/repos/{owner}/{repo}/check-runs", { name: "Python 3.13 · Django 5.2", head_sha: "abc", status: "in_progress", output });
  });

  it("names the first five failures, escaped, and counts the rest", () => {
    const failures = [testResult("polls.tests.T.test_<img src=x>", "failed"), ...testResults(6, "failed")];
    const { summary } = renderProgress({ cell: CELL, counts: countsOf(failures), failures });
    expect(summary).toContain("**Python 3\\.13 · Django 5\\.2** is running: 7 tests finished so far.");
    expect(summary).toContain("- <code>polls\\.tests\\.T\\.test\\_&lt;img src\\=x&gt;</code>");
    expect(summary.match(/^- <code>/gm)).toHaveLength(5);
    expect(summary).toContain("- …and 2 more");
    expect(summary).not.toContain("<img");
  });

  it("stays short even with huge test ids", () => {
    const failures = testResults(5, "failed").map((t) => ({ ...t, id: t.id + "x".repeat(10_000) }));
    expect(renderProgress({ cell: CELL, counts: countsOf(failures), failures }).summary.length).toBeLessThan(2_000);
  });

  it("renders equal output for equal results (no clock time in it)", () => {
    const counts = { ...emptyCounts(), passed: 5, total: 5 };
    const first = { status: "in_progress" as const, output: renderProgress({ cell: CELL, counts }) };
    const same = { status: "in_progress" as const, output: renderProgress({ cell: CELL, counts: { ...counts } }) };
    const more = { status: "in_progress" as const, output: renderProgress({ cell: CELL, counts: { ...counts, passed: 6, total: 6 } }) };
    expect(same).toEqual(first);
    expect(more).not.toEqual(first);
  });
});

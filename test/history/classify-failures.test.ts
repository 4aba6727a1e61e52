import { describe, expect, it } from "@jest/globals";
import type { QuarantineEntry } from "../../src/domain/test-policy.js";
import type { TestOutcome, TestResult } from "../../src/domain/events.js";
import { classifyFailures, type ClassifyFailuresInput, type FailureBucket, type PastRun } from "../../src/history/classify-failures.js";
import { isQuarantineActive, matchQuarantine } from "../../src/history/match-quarantine.js";

const NOW = Date.parse("2026-06-15T12:00:00Z");
const failed = (id: string): TestResult => ({ id, outcome: "failed", durationMs: 3, message: "AssertionError" });
const map = <T>(entries: Record<string, T>) => new Map(Object.entries(entries));
const runs = (...list: Array<[string, TestOutcome]>): PastRun[] => list.map(([sha, outcome], i) => ({ sha, outcome, finishedAt: 1000 - i }));

function input(overrides: Partial<ClassifyFailuresInput> & { failing?: string[]; baseOutcomes?: Record<string, TestOutcome[]> }): ClassifyFailuresInput {
  return {
    failures: (overrides.failing ?? []).map(failed),
    passed: [],
    base: overrides.baseOutcomes ? { sha: "base1", label: "main", outcomes: map(overrides.baseOutcomes) } : { missing: "this is the first build of branch main" },
    sameCommit: new Map(),
    recent: new Map(),
    baseBranch: new Map(),
    policy: { quarantine: [], alreadyFailing: "failure" },
    now: NOW,
    ...overrides,
  };
}

describe("classifyFailures", () => {
  it.each<[string, Partial<ClassifyFailuresInput> & { failing?: string[]; baseOutcomes?: Record<string, TestOutcome[]> }, FailureBucket, string, "failure" | "neutral" | "success"]>([
    ["passed on the base: new", { failing: ["t.a"], baseOutcomes: { "t.a": ["passed"] } }, "new", "1 new failure", "failure"],
    ["not in the base build: new", { failing: ["t.a"], baseOutcomes: { "t.other": ["passed"] } }, "new", "1 new failure", "failure"],
    ["skipped on the base: new", { failing: ["t.a"], baseOutcomes: { "t.a": ["skipped"] } }, "new", "1 new failure", "failure"],
    ["failed on the base: already failing", { failing: ["t.a"], baseOutcomes: { "t.a": ["failed"] } }, "already-failing", "1 already failing on main", "failure"],
    ["errored on every base attempt: already failing", { failing: ["t.a"], baseOutcomes: { "t.a": ["error", "failed"] } }, "already-failing", "1 already failing on main", "failure"],
    ["already failing, configured neutral", { failing: ["t.a"], baseOutcomes: { "t.a": ["failed"] }, policy: { quarantine: [], alreadyFailing: "neutral" } }, "already-failing", "1 already failing on main", "neutral"],
    ["passed in another attempt of this commit: flaky", { failing: ["t.a"], baseOutcomes: { "t.a": ["passed"] }, sameCommit: map({ "t.a": ["failed", "passed"] as TestOutcome[] }) }, "flaky", "1 flaky", "success"],
    ["failed and passed on the base commit: flaky", { failing: ["t.a"], baseOutcomes: { "t.a": ["failed", "passed"] } }, "flaky", "1 flaky", "success"],
    ["no base: said, not guessed", { failing: ["t.a"] }, "no-base", "1 failure with no base to compare", "failure"],
    ["quarantined: listed, not red", { failing: ["t.a"], baseOutcomes: { "t.a": ["passed"] }, policy: { quarantine: [{ test: "t.*" }], alreadyFailing: "failure" } }, "quarantined", "1 quarantined", "success"],
    ["quarantine expired: red again", { failing: ["t.a"], baseOutcomes: { "t.a": ["passed"] }, policy: { quarantine: [{ test: "t.a", until: "2026-06-14" }], alreadyFailing: "failure" } }, "new", "1 new failure", "failure"],
  ])("%s", (_name, given, bucket, headline, conclusion) => {
    const report = classifyFailures(input(given));
    expect(report.failures.map((f) => f.bucket)).toEqual([bucket]);
    expect(report.headline).toBe(headline);
    expect(report.conclusion).toBe(conclusion);
  });

  it("leads with the new failures and counts each bucket: 2 new, 1 already failing on main, 1 flaky", () => {
    const report = classifyFailures(input({
      failing: ["t.flaky", "t.old", "t.new1", "t.new2"],
      baseOutcomes: { "t.flaky": ["passed"], "t.old": ["failed"], "t.new1": ["passed"], "t.new2": ["passed"] },
      sameCommit: map({ "t.flaky": ["failed", "passed"] as TestOutcome[] }),
    }));
    expect(report.headline).toBe("2 new failures, 1 already failing on main, 1 flaky");
    expect(report.failures.map((f) => f.test.id)).toEqual(["t.new1", "t.new2", "t.old", "t.flaky"]);
    expect(report.counts).toEqual({ new: 2, "already-failing": 1, flaky: 1, quarantined: 0, "no-base": 0 });
  });

  it("says since when a test fails on the base branch: the oldest commit of the failing streak", () => {
    const report = classifyFailures(input({
      failing: ["t.a"],
      baseOutcomes: { "t.a": ["failed"] },
      baseBranch: map({ "t.a": runs(["base1", "failed"], ["m2", "error"], ["m3", "failed"], ["m4", "passed"], ["m5", "failed"]) }),
      baseBranchLimit: 50,
    }));
    expect(report.failures[0]?.since).toEqual({ sha: "m3", at: 998, atLeast: false });
  });

  it("says 'at least since' when the streak fills the whole history asked for", () => {
    const report = classifyFailures(input({
      failing: ["t.a"],
      baseOutcomes: { "t.a": ["failed"] },
      baseBranch: map({ "t.a": runs(["base1", "failed"], ["m2", "failed"]) }),
      baseBranchLimit: 2,
    }));
    expect(report.failures[0]?.since).toMatchObject({ sha: "m2", atLeast: true });
  });

  it("gives a flaky test its recent failure rate and the outcomes of its attempts", () => {
    const report = classifyFailures(input({
      failing: ["t.a"],
      baseOutcomes: { "t.a": ["passed"] },
      sameCommit: map({ "t.a": ["passed", "failed"] as TestOutcome[] }),
      recent: map({ "t.a": runs(["x", "passed"], ["y", "failed"], ["z", "passed"], ["w", "skipped"]) }),
    }));
    expect(report.failures[0]).toMatchObject({ bucket: "flaky", attempts: { on: "this", outcomes: ["passed", "failed"] }, failureRate: { failed: 2, runs: 4 } });
  });

  it("reports a test that passed now after failing on another attempt of this commit as flaky, not green", () => {
    const report = classifyFailures(input({ passed: ["t.a"], sameCommit: map({ "t.a": ["failed", "passed"] as TestOutcome[] }), baseOutcomes: {} }));
    expect(report.flakyPasses).toEqual([{ id: "t.a", outcomes: ["failed", "passed"] }]);
    expect(report.headline).toBe("1 flaky");
    expect(report.conclusion).toBe("success");
  });

  it("keeps what a quarantined failure would have been, and notes an expired quarantine", () => {
    const quarantine: QuarantineEntry[] = [{ test: "t.q", reason: "#42" }, { test: "t.x", until: "2026-01-01" }];
    const report = classifyFailures(input({ failing: ["t.q", "t.x"], baseOutcomes: { "t.q": ["failed"], "t.x": ["passed"] }, policy: { quarantine, alreadyFailing: "failure" } }));
    expect(report.failures).toEqual([
      expect.objectContaining({ bucket: "new", expiredQuarantine: quarantine[1] }),
      expect.objectContaining({ bucket: "quarantined", unquarantined: "already-failing", quarantine: quarantine[0] }),
    ]);
    expect(report.headline).toBe("1 new failure, 1 quarantined");
  });
});

describe("matchQuarantine", () => {
  it.each<[string, string, boolean]>([
    ["polls.tests.SlowTests.test_a", "polls.tests.SlowTests.*", true],
    ["polls.tests.SlowTests.test_a", "polls.tests.*", true],
    ["polls.tests.FastTests.test_a", "polls.tests.SlowTests.*", false],
    ["tests/test_net.py::test_fetch", "tests/test_net.py::*", true],
    ["tests/sub/test_net.py::test_fetch", "tests/*", false],
    ["tests/sub/test_net.py::test_fetch", "tests/**", true],
    ["tests/test_a.py::test_x[1]", "tests/test_a.py::test_x[1]", true],
    ["polls.tests.T.test_x [i=1]", "polls.tests.T.test_x", true],
    ["polls.tests.T.test_xy", "polls.tests.T.test_x", false],
  ])("%s against %s: %s", (id, pattern, expected) => {
    expect(matchQuarantine(id, [{ test: pattern }], NOW) !== undefined).toBe(expected);
  });

  it("holds through the whole `until` day (UTC), then expires", () => {
    const entry = { test: "t.a", until: "2026-06-15" };
    expect(isQuarantineActive(entry, Date.parse("2026-06-15T23:59:59Z"))).toBe(true);
    expect(isQuarantineActive(entry, Date.parse("2026-06-16T00:00:00Z"))).toBe(false);
    expect(matchQuarantine("t.a", [entry], Date.parse("2026-06-16T00:00:00Z"))).toEqual({ entry, expired: true });
  });
});

import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import type { BuildRequest } from "../../src/domain/build-request.js";
import { createDefaultTestPolicy, type TestPolicy } from "../../src/domain/test-policy.js";
import { emptyCounts, type TestOutcome } from "../../src/domain/events.js";
import { createFailureAnalyst, type FailureAnalyst } from "../../src/history/create-failure-analyst.js";
import type { BuildRecord } from "../../src/store/build-rows.js";
import type { JobRecord } from "../../src/store/job-rows.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { makeTempDir } from "../store/temp-dir.js";

const CELL = { python: "3.11", django: "5.2" };
const FAILED = { conclusion: "failure" as const };

/** The analyst against a real store: what it reads decides failed-first, confirmation and the report. */
describe("createFailureAnalyst", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let analyst: FailureAnalyst;
  const now = Date.parse("2026-06-15T12:00:00Z");
  beforeEach(() => {
    temp = makeTempDir();
    store = openStore({ dataDir: temp.dir, clock: { now: () => now, sleep: async () => {} } });
    analyst = createFailureAnalyst({ store, clock: { now: () => now, sleep: async () => {} } });
  });
  afterEach(() => {
    store.close();
    temp.remove();
  });

  /** A build of `sha` with one job of CELL that ran `outcomes` (finished unless `running`). */
  function build(sha: string, outcomes: Record<string, TestOutcome>, options: { branch?: string; prNumber?: number; base?: BuildRequest["base"]; policy?: Partial<TestPolicy>; external?: Record<string, unknown>; running?: boolean } = {}): { build: BuildRecord; job: JobRecord } {
    const request = { source: "github", repo: { name: "o/r", cloneUrl: "x", visibility: "public" }, sha, branch: options.branch, prNumber: options.prNumber, event: "push", base: options.base } as BuildRequest;
    const pending = store.createBuild({ repo: "o/r", source: "github", visibility: "public", sha, branch: options.branch, prNumber: options.prNumber, event: "push", trigger: { request }, planState: "pending" });
    const planned = store.recordBuildPlan(pending.build.id, { state: "planned", details: { testPolicy: { ...createDefaultTestPolicy(), ...options.policy } }, jobs: [{ cell: CELL, external: { ...options.external } }] });
    const { build: record, jobs } = planned as NonNullable<typeof planned>;
    const job = jobs[0] as JobRecord;
    store.recordJobStarted(job.id);
    store.addTestResults(job.id, Object.entries(outcomes).map(([id, outcome]) => ({ id, outcome, durationMs: 1 })));
    if (options.running) return { build: record, job: store.getJob(job.id) as JobRecord };
    const failed = Object.values(outcomes).some((o) => o === "failed" || o === "error");
    return { build: record, job: store.recordJobFinished({ jobId: job.id, conclusion: failed ? "failure" : "success", counts: emptyCounts() }) };
  }

  describe("failed first", () => {
    it("lists the failures of the last finished build of the cell on this branch", () => {
      build("a1", { "t.a": "failed", "t.b": "error", "t.c": "passed" }, { branch: "main" });
      const next = build("a2", {}, { branch: "main", base: { sha: "a1", branch: "main" }, running: true });
      expect(analyst.firstTestsFor(next.build, next.job)).toEqual(["t.a", "t.b"]);
    });

    it("falls back to the base commit for the first build of a pull request, and gives nothing when off", () => {
      build("a1", { "t.a": "failed" }, { branch: "main" });
      const pr = build("p1", {}, { branch: "feature", prNumber: 3, base: { sha: "a1", branch: "main" }, running: true });
      expect(analyst.firstTestsFor(pr.build, pr.job)).toEqual(["t.a"]);
      const off = build("p2", {}, { branch: "feature", prNumber: 4, base: { sha: "a1", branch: "main" }, running: true, policy: { failedFirst: false } });
      expect(analyst.firstTestsFor(off.build, off.job)).toBeUndefined();
      const first = build("n1", {}, { branch: "new", running: true });
      expect(analyst.firstTestsFor(first.build, first.job)).toBeUndefined();
    });
  });

  describe("split by timings (issue 28)", () => {
    it("orders the cell's test classes longest first from its last finished run, falling back to the base; none for chosen tests", () => {
      const last = build("a1", {}, { branch: "main", running: true });
      store.addTestResults(last.job.id, [
        { id: "app.tests.Quick.test_a", outcome: "passed", durationMs: 5 },
        { id: "app.tests.Slow.test_a", outcome: "passed", durationMs: 300 },
        { id: "app.tests.Mid.test_a", outcome: "failed", durationMs: 40 },
        { id: "app.tests.Mid.test_b", outcome: "passed", durationMs: 40 },
      ]);
      store.recordJobFinished({ jobId: last.job.id, conclusion: "failure", counts: emptyCounts() });
      const next = build("a2", {}, { branch: "main", base: { sha: "a1", branch: "main" }, running: true });
      expect(analyst.testOrderFor(next.build, next.job)).toEqual(["app.tests.Slow", "app.tests.Mid", "app.tests.Quick"]);
      const pr = build("p1", {}, { branch: "feature", prNumber: 3, base: { sha: "a1", branch: "main" }, running: true });
      expect(analyst.testOrderFor(pr.build, pr.job)).toEqual(["app.tests.Slow", "app.tests.Mid", "app.tests.Quick"]);
      const rerun = build("a3", {}, { branch: "main", base: { sha: "a1" }, running: true, external: { onlyTests: ["app.tests.Mid.test_a"] } });
      expect(analyst.testOrderFor(rerun.build, rerun.job)).toBeUndefined();
      const first = build("n1", {}, { branch: "new", running: true });
      expect(analyst.testOrderFor(first.build, first.job)).toBeUndefined();
      // The same run's time per class: what a big cell is split across runners by.
      expect(analyst.testTimingsFor(next.build, next.job)).toEqual({ "app.tests.Slow": 300, "app.tests.Mid": 80, "app.tests.Quick": 5 });
      expect(analyst.testTimingsFor(rerun.build, rerun.job)).toBeUndefined();
      expect(analyst.testTimingsFor(first.build, first.job)).toBeUndefined();
    });
  });

  describe("confirm before blaming", () => {
    it("re-runs failures never seen failing, and only those cells", () => {
      build("a1", { "t.a": "passed", "t.old": "failed" }, { branch: "main" });
      const fresh = build("a2", { "t.a": "failed", "t.ok": "passed" }, { branch: "main", base: { sha: "a1" } });
      expect(analyst.testsToConfirm(fresh.build, fresh.job, FAILED)).toEqual(["t.a"]);
      const seen = build("a3", { "t.a": "failed", "t.old": "failed" }, { branch: "main", base: { sha: "a2" } });
      expect(analyst.testsToConfirm(seen.build, seen.job, FAILED)).toBeUndefined();
    });

    it.each<[string, Partial<Parameters<typeof build>[2]>, Parameters<FailureAnalyst["testsToConfirm"]>[2]]>([
      ["opted out", { policy: { confirmFailures: false } }, FAILED],
      ["a re-run of failed tests", { external: { onlyTests: ["t.a"] } }, FAILED],
      ["a confirmation itself", { external: { confirms: "x-1" } }, FAILED],
      ["a suite that could not start", {}, { conclusion: "failure", error: { message: "ImportError" } }],
      ["a timeout", {}, { conclusion: "timed_out" }],
    ])("never for %s", (_name, options, finished) => {
      const run = build("a1", { "t.a": "failed" }, { branch: "main", ...options });
      expect(analyst.testsToConfirm(run.build, run.job, finished)).toBeUndefined();
    });

    it("leaves quarantined tests out, and does not re-run a mass failure (over 20 tests)", () => {
      const quarantined = build("a1", { "t.q": "failed", "t.a": "failed" }, { branch: "main", policy: { quarantine: [{ test: "t.q" }] } });
      expect(analyst.testsToConfirm(quarantined.build, quarantined.job, FAILED)).toEqual(["t.a"]);
      const onlyQuarantined = build("a2", { "t.q": "failed" }, { branch: "x", policy: { quarantine: [{ test: "t.q" }] } });
      expect(analyst.testsToConfirm(onlyQuarantined.build, onlyQuarantined.job, FAILED)).toBeUndefined();
      const many = build("a3", Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`t.m${i}`, "failed" as TestOutcome])), { branch: "y" });
      expect(analyst.testsToConfirm(many.build, many.job, FAILED)).toBeUndefined();
    });
  });

  describe("analyse", () => {
    it("compares with the base commit's build of the same cell, and names the base branch", () => {
      build("a1", { "t.a": "passed", "t.b": "failed" }, { branch: "main" });
      const pr = build("p1", { "t.a": "failed", "t.b": "failed" }, { branch: "feature", prNumber: 2, base: { sha: "a1", branch: "main" } });
      const report = analyst.analyse(pr.build, pr.job);
      expect(report?.headline).toBe("1 new failure, 1 already failing on main");
      expect(report?.failures.find((f) => f.test.id === "t.b")?.since).toMatchObject({ sha: "a1" });
    });

    it("says when the base commit was never built, rather than guessing", () => {
      const pr = build("p1", { "t.a": "failed" }, { prNumber: 2, base: { sha: "zz99999", branch: "main" } });
      expect(analyst.analyse(pr.build, pr.job)?.base).toEqual({ missing: "the base commit zz99999 has no finished build of this cell" });
      const cancelledBase = build("c1", { "t.a": "passed" }, { branch: "main", running: true });
      store.recordJobCancelled(cancelledBase.job.id);
      const pr2 = build("p2", { "t.a": "failed" }, { prNumber: 3, base: { sha: "c1", branch: "main" } });
      expect(analyst.analyse(pr2.build, pr2.job)?.base).toEqual({ missing: "the base commit c1 has no finished build of this cell" });
    });

    it("borrows the base from another build of the commit ('Re-run all checks' carries none)", () => {
      build("a1", { "t.a": "passed" }, { branch: "main" });
      build("a2", { "t.a": "failed" }, { branch: "main", base: { sha: "a1", branch: "main" } });
      const rerun = build("a2", { "t.a": "failed" }, { branch: "main" });
      const report = analyst.analyse(rerun.build, rerun.job);
      expect(report?.base).toEqual({ sha: "a1", label: "main" });
      expect(report?.failures[0]?.bucket).toBe("new");
    });

    it("calls a failure flaky when another attempt of the commit passed it, and reports a pass after a failure as flaky", () => {
      build("a1", { "t.a": "passed" }, { branch: "main" });
      const first = build("a2", { "t.a": "failed" }, { branch: "main", base: { sha: "a1", branch: "main" } });
      const again = build("a2", { "t.a": "passed" }, { branch: "main", external: { onlyTests: ["t.a"] } });
      expect(analyst.analyse(first.build, first.job)?.failures[0]).toMatchObject({ bucket: "flaky", attempts: { on: "this", outcomes: ["failed", "passed"] } });
      expect(analyst.analyse(again.build, again.job)).toMatchObject({ headline: "1 flaky", flakyPasses: [{ id: "t.a", outcomes: ["failed", "passed"] }] });
    });

    it("has nothing to say about a cell with no failures and no flaky pass", () => {
      const run = build("a1", { "t.a": "passed" }, { branch: "main" });
      expect(analyst.analyse(run.build, run.job)).toBeUndefined();
    });
  });
});

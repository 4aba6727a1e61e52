import { cellKey } from "../domain/cell.js";
import type { FinishedEvent, TestOutcome, TestResult } from "../domain/events.js";
import type { BuildRequest } from "../domain/build-request.js";
import { jobTestPlanOf, testPolicyOf } from "./job-test-plan.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { Store } from "../store/store.js";
import { systemClock, type Clock } from "../domain/clock.js";
import { classifyFailures, type FailureBase, type FailureReport, type PastRun } from "./classify-failures.js";
import { matchQuarantine } from "./match-quarantine.js";
import { sumClassDurations } from "./sum-class-durations.js";
import { orderTestClasses } from "./order-test-classes.js";

export interface FailureAnalystOptions {
  store: Pick<Store, "listCellAttempts" | "listTestHistory" | "findTestsFailedBefore" | "findLatestCellAttempt" | "listTestResults" | "findBuilds">;
  clock?: Clock;
}

/**
 * Reads a cell's history from the store and asks the pure parts what to do
 * (issue 15). Every answer is derived from finished attempts only; each
 * function reads, never writes.
 */
export interface FailureAnalyst {
  /** Failed first: the tests that failed last time on this branch or pull request (else on its base), at most 200. */
  firstTestsFor(build: BuildRecord, job: JobRecord): string[] | undefined;
  /**
   * Split by timings (issue 28): the cell's test classes longest first, from
   * its last finished attempt on this branch or pull request (else on its
   * base); undefined without one, or for a re-run of chosen tests.
   */
  testOrderFor(build: BuildRecord, job: JobRecord): string[] | undefined;
  /** The same run's test time per class, ms (what a big cell is split across runners by); undefined as for testOrderFor. */
  testTimingsFor(build: BuildRecord, job: JobRecord): Record<string, number> | undefined;
  /**
   * Confirm before blaming: the failures to re-run once, when every failure
   * of this attempt (its results recorded, its verdict `finished`;
   * quarantined tests aside) is a test never seen failing before in the
   * repository. Undefined: no re-run.
   */
  testsToConfirm(build: BuildRecord, job: JobRecord, finished: Pick<FinishedEvent, "conclusion" | "error">): string[] | undefined;
  /**
   * The classification of this attempt's failures (its results recorded,
   * finished or about to be), or undefined when none failed and no test
   * passed after failing on another attempt of the commit.
   */
  analyse(build: BuildRecord, job: JobRecord): FailureReport | undefined;
}

const MAX_FIRST = 200;
const MAX_CONFIRM = 20;
/** Failures whose history is looked up (the rest are still classified, without rate or "since"). */
const MAX_HISTORY_LOOKUPS = 100;
const RECENT_RUNS = 20;
const BASE_BRANCH_RUNS = 50;

export function createFailureAnalyst(options: FailureAnalystOptions): FailureAnalyst {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const failuresOf = (job: JobRecord) => store.listTestResults(job.id, { outcomes: ["failed", "error"] });

  /** The request's base; a re-run of the whole suite ("Re-run all") borrows it from another build of the commit. */
  const baseOf = (build: BuildRecord): BuildRequest["base"] => {
    const request = build.trigger.request;
    if (request?.base) return request.base;
    for (const other of store.findBuilds({ repo: build.repo, sha: build.sha })) {
      const base = other.trigger.request?.base;
      if (base) return base;
    }
    return undefined;
  };

  /** The cell's last finished attempt on this branch or pull request, else on the request's base. */
  const lastAttemptOf = (build: BuildRecord, job: JobRecord): string | undefined => {
    const cell = cellKey(job.cell);
    const last = store.findLatestCellAttempt({ repo: build.repo, cellKey: cell, branch: build.branch, prNumber: build.prNumber, beforeBuildId: build.id })?.jobId;
    if (last) return last;
    const base = baseOf(build);
    return base?.sha ? store.listCellAttempts({ repo: build.repo, sha: base.sha, cellKey: cell }).at(-1)?.jobId : undefined;
  };

  return {
    testOrderFor(build, job) {
      const plan = jobTestPlanOf(job);
      if (plan.onlyTests || plan.confirms) return undefined;
      const last = lastAttemptOf(build, job);
      if (!last) return undefined;
      const order = orderTestClasses(store.listTestResults(last));
      return order.length > 0 ? order : undefined;
    },

    testTimingsFor(build, job) {
      const plan = jobTestPlanOf(job);
      if (plan.onlyTests || plan.confirms) return undefined;
      const last = lastAttemptOf(build, job);
      const timings = last ? sumClassDurations(store.listTestResults(last)) : {};
      return Object.keys(timings).length > 0 ? timings : undefined;
    },

    firstTestsFor(build, job) {
      const plan = jobTestPlanOf(job);
      if (!testPolicyOf(build).failedFirst || plan.onlyTests || plan.confirms) return undefined;
      const last = lastAttemptOf(build, job);
      if (!last) return undefined;
      const ids = [...new Set(store.listTestResults(last, { outcomes: ["failed", "error"] }).map((t) => t.id))].slice(0, MAX_FIRST);
      return ids.length > 0 ? ids : undefined;
    },

    testsToConfirm(build, job, finished) {
      const policy = testPolicyOf(build);
      const plan = jobTestPlanOf(job);
      if (!policy.confirmFailures || plan.onlyTests || plan.confirms || finished.conclusion !== "failure" || finished.error) return undefined;
      const now = clock.now();
      const failing = [...new Set(failuresOf(job).map((t) => t.id))].filter((id) => {
        const match = matchQuarantine(id, policy.quarantine, now);
        return !match || match.expired;
      });
      if (failing.length === 0 || failing.length > MAX_CONFIRM) return undefined;
      const seen = store.findTestsFailedBefore({ repo: build.repo, testIds: failing, exceptJobId: job.id });
      return seen.size === 0 ? failing : undefined;
    },

    analyse(build, job) {
      const all = store.listTestResults(job.id);
      const failures = all.filter((t) => t.outcome === "failed" || t.outcome === "error");
      const cell = cellKey(job.cell);
      // Every attempt of this commit and cell in the order they ran, this one included (finished or about to be).
      const attempts = store.listCellAttempts({ repo: build.repo, sha: build.sha, cellKey: cell }).filter((a) => a.jobId !== job.id);
      attempts.push({ jobId: job.id, buildId: job.buildId, seq: job.seq, finishedAt: 0, results: all });
      attempts.sort((a, b) => a.buildId - b.buildId || a.seq - b.seq);
      const sameCommit = outcomesById(attempts.flatMap((a) => a.results));
      const passed = all.filter((t) => t.outcome === "passed").map((t) => t.id);
      const flakyPassIds = passed.filter((id) => sameCommit.get(id)?.some((o) => o === "failed" || o === "error"));

      if (failures.length === 0 && flakyPassIds.length === 0) return undefined;

      const requestBase = baseOf(build);
      let base: FailureBase;
      let baseBuildId = 0;
      if (!requestBase?.sha) {
        base = { missing: build.branch && build.prNumber === undefined ? `this is the first build of branch ${build.branch}` : "no base commit is known for this build" };
      } else {
        const attempts = store.listCellAttempts({ repo: build.repo, sha: requestBase.sha, cellKey: cell });
        if (attempts.length === 0) {
          base = { missing: `the base commit ${requestBase.sha.slice(0, 7)} has no finished build of this cell` };
        } else {
          baseBuildId = Math.max(...attempts.map((a) => a.buildId));
          base = { sha: requestBase.sha, label: requestBase.branch ?? requestBase.sha.slice(0, 7), outcomes: outcomesById(attempts.flatMap((a) => a.results)) };
        }
      }

      const recent = new Map<string, PastRun[]>();
      const baseBranch = new Map<string, PastRun[]>();
      for (const id of [...new Set([...failures.map((t) => t.id), ...flakyPassIds])].slice(0, MAX_HISTORY_LOOKUPS)) {
        recent.set(id, store.listTestHistory({ repo: build.repo, testId: id, cellKey: cell, exceptJobId: job.id, limit: RECENT_RUNS }));
        if (!("missing" in base) && requestBase?.branch && base.outcomes.get(id)?.some((o) => o === "failed" || o === "error")) {
          baseBranch.set(id, store.listTestHistory({ repo: build.repo, testId: id, cellKey: cell, branch: requestBase.branch, maxBuildId: baseBuildId, limit: BASE_BRANCH_RUNS }));
        }
      }
      return classifyFailures({
        failures,
        passed: flakyPassIds,
        base,
        sameCommit,
        recent,
        baseBranch,
        baseBranchLimit: BASE_BRANCH_RUNS,
        policy: testPolicyOf(build),
        now: clock.now(),
      });
    },
  };
}

function outcomesById(results: readonly Pick<TestResult, "id" | "outcome">[]): Map<string, TestOutcome[]> {
  const map = new Map<string, TestOutcome[]>();
  for (const result of results) {
    const list = map.get(result.id);
    if (list) list.push(result.outcome);
    else map.set(result.id, [result.outcome]);
  }
  return map;
}

import type { FailureBucket } from "../domain/failure-bucket.js";
import type { StoreCore } from "./store-core.js";

/**
 * What test intelligence said about one attempt of a cell (issue 15's
 * `FailureReport`, made by history/to-cell-failures.ts): kept in
 * `jobs.failures_json`, written with the job's end, cleared when the job
 * starts again. Bounded: at most MAX_STORED_FAILURES tests.
 */
export interface CellFailures {
  /** "2 new failures, 1 already failing on main". */
  headline: string;
  /** What the failures were compared with, or why nothing was. */
  base: { sha: string; label: string } | { missing: string };
  counts: Record<FailureBucket, number>;
  /** Failing tests in the report's order (new first, then no-base, already failing, flaky, quarantined). */
  tests: CellFailure[];
  /** Tests that failed on another attempt of this commit and passed on this one: flaky, though green here. */
  flakyPasses: string[];
}

export interface CellFailure {
  id: string;
  bucket: FailureBucket;
  /** already-failing: since which base-branch commit (`atLeast`: the streak may be older). */
  since?: { sha: string; at: number; atLeast: boolean };
  /** Failed runs among the test's recent runs in this cell. */
  failureRate?: { failed: number; runs: number };
}

export const MAX_STORED_FAILURES = 200;

export interface CellFailureRows {
  /** The stored failure buckets of a build's jobs that have them, by job id (jobs without a report are absent). */
  listCellFailures(buildId: number): Map<string, CellFailures>;
}

export function createCellFailureRows(core: StoreCore): CellFailureRows {
  const select = core.sqlite.prepare<[number], { id: string; failures_json: string }>(
    "SELECT id, failures_json FROM jobs WHERE build_id = ? AND failures_json IS NOT NULL ORDER BY seq",
  );
  return {
    listCellFailures: (buildId) =>
      core.read(`read the failure buckets of build #${buildId}`, () => new Map(select.all(buildId).map((row) => [row.id, JSON.parse(row.failures_json) as CellFailures]))),
  };
}

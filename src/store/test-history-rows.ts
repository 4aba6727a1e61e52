import type { TestOutcome } from "../domain/events.js";
import type { StoreCore } from "./store-core.js";

/**
 * Per-test history (issue 15), read from the results the store already keeps
 * (`test_results`, one row per test per job; a job is one attempt of one cell
 * at one commit) through the indexes of migration 3: no second copy of the
 * data. Only finished jobs count: a cancelled or still running attempt says
 * nothing about a test.
 */
export interface TestHistoryRows {
  /** Finished attempts of one cell at one commit (every build of that sha), oldest first, with their results. */
  listCellAttempts(query: { repo: string; sha: string; cellKey: string }): CellAttempt[];
  /**
   * Runs of one test in a repository, newest first (in the order their
   * results arrived), at most `limit` (default
   * 50): optionally of one cell, of push builds of one branch, and of builds
   * up to `maxBuildId`; `exceptJobId` leaves one attempt out (the one being judged).
   */
  listTestHistory(query: TestHistoryQuery): TestRun[];
  /**
   * The ids among `testIds` that have failed or errored in the repository, in
   * any job but `exceptJobId`, within their newest 500 runs (a bound on the
   * work; a test that last failed longer ago than that counts as never seen failing).
   */
  findTestsFailedBefore(query: { repo: string; testIds: readonly string[]; exceptJobId: string }): Set<string>;
  /**
   * The newest finished attempt of a cell on a branch (push builds) or a pull
   * request, in a build older than `beforeBuildId`: "last time on this branch".
   */
  findLatestCellAttempt(query: { repo: string; cellKey: string; branch?: string; prNumber?: number; beforeBuildId: number }): { jobId: string; sha: string } | undefined;
}

export interface CellAttempt {
  jobId: string;
  buildId: number;
  /** The job's place in its build: with buildId, the order the attempts ran in. */
  seq: number;
  finishedAt: number;
  /** The attempt ran only these tests (a re-run of failed tests). */
  onlyTests?: string[];
  results: { id: string; outcome: TestOutcome; durationMs: number }[];
}

export interface TestHistoryQuery {
  repo: string;
  testId: string;
  cellKey?: string;
  branch?: string;
  maxBuildId?: number;
  exceptJobId?: string;
  limit?: number;
}

export interface TestRun {
  testId: string;
  outcome: TestOutcome;
  durationMs: number;
  jobId: string;
  buildId: number;
  cellKey: string;
  sha: string;
  branch?: string;
  prNumber?: number;
  finishedAt: number;
}

const FAILED_BEFORE_WINDOW = 500;

interface AttemptRow {
  id: string;
  build_id: number;
  seq: number;
  finished_at: number;
  external_json: string;
}

interface RunRow {
  test_id: string;
  outcome: TestOutcome;
  duration_ms: number;
  job_id: string;
  build_id: number;
  cell_key: string;
  sha: string;
  branch: string | null;
  pr_number: number | null;
  finished_at: number;
}

export function createTestHistoryRows(core: StoreCore): TestHistoryRows {
  const db = core.sqlite;
  const attempts = db.prepare<[string, string, string], AttemptRow>(
    `SELECT jobs.id, jobs.build_id, jobs.seq, jobs.finished_at, jobs.external_json FROM builds
     JOIN jobs ON jobs.build_id = builds.id AND jobs.cell_key = ?
     WHERE builds.repo = ? AND builds.sha = ? AND jobs.state = 'finished'
     ORDER BY jobs.build_id, jobs.seq`,
  );
  const resultsOf = db.prepare<[string], { test_id: string; outcome: TestOutcome; duration_ms: number }>(
    "SELECT test_id, outcome, duration_ms FROM test_results WHERE job_id = ? ORDER BY rowid",
  );
  const history = db.prepare<{ test: string; repo: string; cell: string | null; branch: string | null; maxBuild: number; except: string; limit: number }, RunRow>(
    `SELECT tr.test_id, tr.outcome, tr.duration_ms, jobs.id AS job_id, jobs.build_id, jobs.cell_key, jobs.finished_at,
            builds.sha, builds.branch, builds.pr_number
     FROM test_results tr JOIN jobs ON jobs.id = tr.job_id JOIN builds ON builds.id = jobs.build_id
     WHERE tr.test_id = :test AND builds.repo = :repo AND jobs.state = 'finished' AND jobs.id <> :except
       AND (:cell IS NULL OR jobs.cell_key = :cell)
       AND (:branch IS NULL OR (builds.branch = :branch AND builds.pr_number IS NULL))
       AND builds.id <= :maxBuild
     ORDER BY tr.rowid DESC LIMIT :limit`,
  );
  // Bounded: the newest FAILED_BEFORE_WINDOW runs of the test, newest first through the index.
  const failedBefore = db.prepare<[string, string, string, number], { n: number }>(
    `SELECT count(*) AS n FROM (
       SELECT tr.outcome FROM test_results tr JOIN jobs ON jobs.id = tr.job_id JOIN builds ON builds.id = jobs.build_id
       WHERE tr.test_id = ? AND builds.repo = ? AND tr.job_id <> ? ORDER BY tr.rowid DESC LIMIT ?
     ) WHERE outcome IN ('failed', 'error')`,
  );
  const latestOnBranch = db.prepare<[string, string, string, number], { id: string; sha: string }>(
    `SELECT jobs.id, builds.sha FROM builds JOIN jobs ON jobs.build_id = builds.id AND jobs.cell_key = ?
     WHERE builds.repo = ? AND builds.branch = ? AND builds.pr_number IS NULL AND builds.id < ? AND jobs.state = 'finished'
     ORDER BY builds.id DESC, jobs.seq DESC LIMIT 1`,
  );
  const latestOnPr = db.prepare<[string, string, number, number], { id: string; sha: string }>(
    `SELECT jobs.id, builds.sha FROM builds JOIN jobs ON jobs.build_id = builds.id AND jobs.cell_key = ?
     WHERE builds.repo = ? AND builds.pr_number = ? AND builds.id < ? AND jobs.state = 'finished'
     ORDER BY builds.id DESC, jobs.seq DESC LIMIT 1`,
  );

  return {
    listCellAttempts: ({ repo, sha, cellKey }) =>
      core.read(`read the attempts of ${cellKey} at ${repo}@${sha}`, () =>
        attempts.all(cellKey, repo, sha).map((row) => {
          const external = JSON.parse(row.external_json) as { onlyTests?: unknown };
          const attempt: CellAttempt = {
            jobId: row.id,
            buildId: row.build_id,
            seq: row.seq,
            finishedAt: row.finished_at,
            results: resultsOf.all(row.id).map((r) => ({ id: r.test_id, outcome: r.outcome, durationMs: r.duration_ms })),
          };
          if (Array.isArray(external.onlyTests)) attempt.onlyTests = external.onlyTests.filter((t): t is string => typeof t === "string");
          return attempt;
        }),
      ),
    listTestHistory: (query) =>
      core.read(`read the history of test ${query.testId}`, () =>
        history
          .all({
            test: query.testId,
            repo: query.repo,
            cell: query.cellKey ?? null,
            branch: query.branch ?? null,
            maxBuild: query.maxBuildId ?? Number.MAX_SAFE_INTEGER,
            except: query.exceptJobId ?? "",
            limit: query.limit ?? 50,
          })
          .map(toRun),
      ),
    findTestsFailedBefore: ({ repo, testIds, exceptJobId }) =>
      core.read(`look up earlier failures in ${repo}`, () => new Set(testIds.filter((id) => (failedBefore.get(id, repo, exceptJobId, FAILED_BEFORE_WINDOW)?.n ?? 0) > 0))),
    findLatestCellAttempt: ({ repo, cellKey, branch, prNumber, beforeBuildId }) =>
      core.read(`find the last attempt of ${cellKey} in ${repo}`, () => {
        const row = prNumber !== undefined
          ? latestOnPr.get(cellKey, repo, prNumber, beforeBuildId)
          : branch !== undefined
            ? latestOnBranch.get(cellKey, repo, branch, beforeBuildId)
            : undefined;
        return row ? { jobId: row.id, sha: row.sha } : undefined;
      }),
  };
}

function toRun(row: RunRow): TestRun {
  const run: TestRun = {
    testId: row.test_id,
    outcome: row.outcome,
    durationMs: row.duration_ms,
    jobId: row.job_id,
    buildId: row.build_id,
    cellKey: row.cell_key,
    sha: row.sha,
    finishedAt: row.finished_at,
  };
  if (row.branch !== null) run.branch = row.branch;
  if (row.pr_number !== null) run.prNumber = row.pr_number;
  return run;
}

import type { TestOutcome, TestResult } from "../domain/events.js";
import type { StoreCore } from "./store-core.js";

export interface TestResultRows {
  /** Adds a batch of a job's test results, all or none. */
  addTestResults(jobId: string, results: readonly TestResult[]): void;
  /** A job's results in the order they arrived, optionally only some outcomes ("failed", "error" for re-run-failed). */
  listTestResults(jobId: string, options?: { outcomes?: readonly TestOutcome[] }): TestResult[];
  /** A job's `limit` slowest tests, slowest first. */
  listSlowestTests(jobId: string, limit: number): TestResult[];
}

interface ResultRow {
  test_id: string;
  outcome: TestOutcome;
  duration_ms: number;
  message: string | null;
  traceback: string | null;
  path: string | null;
  line: number | null;
}

export function createTestResultRows(core: StoreCore): TestResultRows {
  const db = core.sqlite;
  const insert = db.prepare<[string, string, string, number, string | null, string | null, string | null, number | null]>(
    `INSERT INTO test_results (job_id, test_id, outcome, duration_ms, message, traceback, path, line)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const select = db.prepare<[string], ResultRow>("SELECT * FROM test_results WHERE job_id = ? ORDER BY rowid");
  const selectSlowest = db.prepare<[string, number], ResultRow>("SELECT * FROM test_results WHERE job_id = ? ORDER BY duration_ms DESC LIMIT ?");
  return {
    addTestResults: (jobId, results) =>
      core.transact(`record ${results.length} test results of job ${jobId}`, () => {
        for (const result of results) {
          insert.run(
            jobId,
            result.id,
            result.outcome,
            Math.round(result.durationMs),
            result.message ?? null,
            result.traceback ?? null,
            result.location?.path ?? null,
            result.location?.line ?? null,
          );
        }
      }),
    listSlowestTests: (jobId, limit) => core.read(`read the slowest tests of job ${jobId}`, () => selectSlowest.all(jobId, limit).map(toResult)),
    listTestResults: (jobId, options = {}) =>
      core.read(`read the test results of job ${jobId}`, () => {
        const rows = select.all(jobId);
        const wanted = options.outcomes;
        return (wanted ? rows.filter((row) => wanted.includes(row.outcome)) : rows).map(toResult);
      }),
  };
}

function toResult(row: ResultRow): TestResult {
  const result: TestResult = { id: row.test_id, outcome: row.outcome, durationMs: row.duration_ms };
  if (row.message !== null) result.message = row.message;
  if (row.traceback !== null) result.traceback = row.traceback;
  if (row.path !== null && row.line !== null) result.location = { path: row.path, line: row.line };
  return result;
}

import type { StoreCore } from "./store-core.js";

export interface StoredLogSize {
  jobId: string;
  /** Compressed bytes the log takes in the database. */
  bytes: number;
  /** When its job finished (epoch ms); undefined while the job has not. */
  finishedAt?: number;
}

export interface RetentionRows {
  /** Every job log with its compressed size, oldest finished first (unfinished last). */
  listLogSizes(): StoredLogSize[];
  /** Deletes a job's log (its chunks and totals); the job's results stay. Returns whether there was one. */
  deleteLog(jobId: string): boolean;
  /** How many deliveries are older than `olderThanMs`. */
  countDeliveriesOlderThan(olderThanMs: number): number;
}

/**
 * What the garbage collector needs of the store. Freed pages are reused by
 * SQLite for new rows (the file does not shrink without VACUUM, but stops
 * growing).
 */
export function createRetentionRows(core: StoreCore): RetentionRows {
  const db = core.sqlite;
  const sizes = db.prepare<[], { job_id: string; bytes: number; finished_at: number | null; state: string }>(
    `SELECT l.job_id, COALESCE((SELECT SUM(LENGTH(c.gz)) FROM job_log_chunks c WHERE c.job_id = l.job_id), 0) AS bytes,
            j.finished_at, j.state
       FROM job_logs l JOIN jobs j ON j.id = l.job_id
      ORDER BY j.finished_at IS NULL, j.finished_at, l.job_id`,
  );
  const deleteChunks = db.prepare<[string]>("DELETE FROM job_log_chunks WHERE job_id = ?");
  const deleteMeta = db.prepare<[string]>("DELETE FROM job_logs WHERE job_id = ?");
  const countOld = db.prepare<[number], { n: number }>("SELECT COUNT(*) AS n FROM deliveries WHERE received_at < ?");
  return {
    listLogSizes: () =>
      core.read("list the sizes of job logs", () =>
        sizes.all().map((row) => ({
          jobId: row.job_id,
          bytes: row.bytes,
          finishedAt: row.state === "finished" || row.state === "cancelled" ? (row.finished_at ?? undefined) : undefined,
        })),
      ),
    deleteLog: (jobId) =>
      core.transact(`delete the log of job ${jobId}`, () => {
        deleteChunks.run(jobId);
        return deleteMeta.run(jobId).changes === 1;
      }),
    countDeliveriesOlderThan: (olderThanMs) => core.read("count old deliveries", () => countOld.get(core.clock.now() - olderThanMs)?.n ?? 0),
  };
}

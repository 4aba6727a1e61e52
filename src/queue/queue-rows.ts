import type { Clock } from "../domain/clock.js";
import type { StoreCore } from "../store/store-core.js";

/** A row of `queue_items`, decoded. */
export interface QueueItem {
  jobId: string;
  payload: unknown;
  attempt: number;
  owner: string | null;
  runToken: string | null;
}

export interface StaleItem extends QueueItem {
  requeued: boolean;
}

/** The embedded queue's SQL: every function is one statement or one transaction. */
export interface QueueRows {
  /** Inserts a queued item; false when the id is already there. */
  /** `first`: ahead of every queued job not inserted first (a negative seq; FIFO among them). */
  insert(jobId: string, payload: unknown, first?: boolean): boolean;
  /** Marks the oldest available queued item (that `accepts`, when given) as running for `owner`; undefined when none. */
  claim(claim: { owner: string; runToken: string; leaseUntil: number; accepts?: (jobId: string) => boolean }): QueueItem | undefined;
  /** The earliest `available_at` of a queued item (that `accepts`, when given). */
  nextAvailableAt(accepts?: (jobId: string) => boolean): number | undefined;
  /** Removes a finished item, if the claim is still ours. */
  finish(jobId: string, runToken: string): void;
  /** Puts a running item back for another attempt after `availableAt`, if the claim is still ours. */
  retry(update: { jobId: string; runToken: string; attempt: number; availableAt: number; error: string }): void;
  /** Puts an interrupted running item back in the queue, same attempt, if the claim is still ours. */
  putBack(jobId: string, runToken: string): void;
  /** Removes a queued item: true when it was queued. */
  removeQueued(jobId: string): boolean;
  /** Flags a running item (any owner) for cancellation: true when it was running. */
  requestCancel(jobId: string): boolean;
  /** Extends the lease of the owner's running items; returns those flagged for cancellation. */
  heartbeat(owner: string, leaseUntil: number): string[];
  /**
   * Running items whose owner is dead (lease expired, or `isDead(owner)`):
   * queued again with attempt + 1, or removed when that exceeds `maxAttempts`.
   * Those whose cancellation was requested are removed and not returned.
   */
  takeBackStale(options: { owner: string; maxAttempts: number; isDead: (owner: string) => boolean }): StaleItem[];
  counts(): { queued: number; running: number };
}

interface Row {
  job_id: string;
  payload_json: string;
  attempt: number;
  owner: string | null;
  run_token: string | null;
  lease_until: number | null;
  cancel_requested: number;
}

const decode = (row: Row): QueueItem => ({
  jobId: row.job_id,
  payload: JSON.parse(row.payload_json) as unknown,
  attempt: row.attempt,
  owner: row.owner,
  runToken: row.run_token,
});

export function createQueueRows(core: StoreCore, clock: Clock = core.clock): QueueRows {
  const db = core.sqlite;
  const now = (): number => clock.now();
  const insert = db.prepare<[string, string, number, number]>(
    `INSERT INTO queue_items (job_id, payload_json, state, available_at, enqueued_at) VALUES (?, ?, 'queued', ?, ?)
     ON CONFLICT (job_id) DO NOTHING`,
  );
  // Jobs enqueued first take seqs below zero, counting up from far below (AUTOINCREMENT only
  // hands out positive ones): ahead of every other job, in their own enqueue order.
  const insertFirst = db.prepare<[string, string, number, number]>(
    `INSERT INTO queue_items (seq, job_id, payload_json, state, available_at, enqueued_at)
     VALUES ((SELECT coalesce(max(seq), -1000000000000000) + 1 FROM queue_items WHERE seq < 0), ?, ?, 'queued', ?, ?)
     ON CONFLICT (job_id) DO NOTHING`,
  );
  const oldest = db.prepare<[number], Row>(
    "SELECT * FROM queue_items WHERE state = 'queued' AND available_at <= ? ORDER BY seq LIMIT 1",
  );
  const available = db.prepare<[number], Row>("SELECT * FROM queue_items WHERE state = 'queued' AND available_at <= ? ORDER BY seq");
  const queuedTimes = db.prepare<[], { job_id: string; available_at: number }>("SELECT job_id, available_at FROM queue_items WHERE state = 'queued'");
  const markRunning = db.prepare<[string, string, number, string]>(
    "UPDATE queue_items SET state = 'running', owner = ?, run_token = ?, lease_until = ?, cancel_requested = 0 WHERE job_id = ?",
  );
  const nextAvailable = db.prepare<[], { at: number | null }>(
    "SELECT min(available_at) AS at FROM queue_items WHERE state = 'queued'",
  );
  const finish = db.prepare<[string, string]>("DELETE FROM queue_items WHERE job_id = ? AND run_token = ?");
  const retry = db.prepare<[number, number, string, string, string]>(
    `UPDATE queue_items SET state = 'queued', attempt = ?, available_at = ?, last_error = ?,
       owner = NULL, run_token = NULL, lease_until = NULL WHERE job_id = ? AND run_token = ?`,
  );
  const putBack = db.prepare<[number, string, string]>(
    `UPDATE queue_items SET state = 'queued', available_at = ?, owner = NULL, run_token = NULL, lease_until = NULL,
       last_error = 'interrupted by a shutdown' WHERE job_id = ? AND run_token = ?`,
  );
  const removeQueued = db.prepare<[string]>("DELETE FROM queue_items WHERE job_id = ? AND state = 'queued'");
  const requestCancel = db.prepare<[string]>(
    "UPDATE queue_items SET cancel_requested = 1 WHERE job_id = ? AND state = 'running'",
  );
  const extend = db.prepare<[number, string]>(
    "UPDATE queue_items SET lease_until = ? WHERE owner = ? AND state = 'running'",
  );
  const flagged = db.prepare<[string], { job_id: string }>(
    "SELECT job_id FROM queue_items WHERE owner = ? AND state = 'running' AND cancel_requested = 1",
  );
  const runningElsewhere = db.prepare<[string], Row>(
    "SELECT * FROM queue_items WHERE state = 'running' AND (owner IS NULL OR owner <> ?) ORDER BY seq",
  );
  const requeue = db.prepare<[number, number, string]>(
    `UPDATE queue_items SET state = 'queued', attempt = ?, available_at = ?, owner = NULL, run_token = NULL,
       lease_until = NULL, cancel_requested = 0, last_error = 'its process died' WHERE job_id = ?`,
  );
  const remove = db.prepare<[string]>("DELETE FROM queue_items WHERE job_id = ?");
  const counts = db.prepare<[], { state: "queued" | "running"; n: number }>(
    "SELECT state, count(*) AS n FROM queue_items GROUP BY state",
  );

  return {
    insert: (jobId, payload, first) =>
      core.transact(`enqueue job ${jobId}`, () => (first ? insertFirst : insert).run(jobId, JSON.stringify(payload ?? null), now(), now()).changes === 1),
    claim: ({ owner, runToken, leaseUntil, accepts }) =>
      core.transact("take a job from the queue", () => {
        const row = accepts ? available.all(now()).find((candidate) => accepts(candidate.job_id)) : oldest.get(now());
        if (!row) return undefined;
        markRunning.run(owner, runToken, leaseUntil, row.job_id);
        return { ...decode(row), owner, runToken };
      }),
    nextAvailableAt: (accepts) =>
      core.read("read the queue", () => {
        if (!accepts) return nextAvailable.get()?.at ?? undefined;
        const times = queuedTimes.all().filter((row) => accepts(row.job_id)).map((row) => row.available_at);
        return times.length > 0 ? Math.min(...times) : undefined;
      }),
    finish: (jobId, runToken) => core.transact(`remove finished job ${jobId} from the queue`, () => void finish.run(jobId, runToken)),
    retry: ({ jobId, runToken, attempt, availableAt, error }) =>
      core.transact(`requeue job ${jobId} for a retry`, () => void retry.run(attempt, availableAt, error, jobId, runToken)),
    putBack: (jobId, runToken) =>
      core.transact(`put job ${jobId} back in the queue`, () => void putBack.run(now(), jobId, runToken)),
    removeQueued: (jobId) => core.transact(`cancel queued job ${jobId}`, () => removeQueued.run(jobId).changes === 1),
    requestCancel: (jobId) => core.transact(`cancel running job ${jobId}`, () => requestCancel.run(jobId).changes === 1),
    heartbeat: (owner, leaseUntil) =>
      core.transact("extend the leases of running jobs", () => {
        extend.run(leaseUntil, owner);
        return flagged.all(owner).map((row) => row.job_id);
      }),
    takeBackStale: ({ owner, maxAttempts, isDead }) =>
      core.transact("take back the jobs of a dead process", () => {
        const at = now();
        const stale = runningElsewhere
          .all(owner)
          .filter((row) => row.owner === null || (row.lease_until ?? 0) < at || isDead(row.owner));
        // A job cancelled while its owner was dying stays cancelled: removed, not run again.
        for (const row of stale.filter((row) => row.cancel_requested === 1)) remove.run(row.job_id);
        return stale.filter((row) => row.cancel_requested !== 1).map((row) => {
          const attempt = row.attempt + 1;
          const requeued = attempt <= maxAttempts;
          if (requeued) requeue.run(attempt, at, row.job_id);
          else remove.run(row.job_id);
          return { ...decode(row), attempt, requeued };
        });
      }),
    counts: () =>
      core.read("count the queue", () => {
        const result = { queued: 0, running: 0 };
        for (const row of counts.all()) result[row.state] = row.n;
        return result;
      }),
  };
}

/**
 * The outbox: every write to GitHub is recorded in the store before it is
 * sent, and sent by one dispatcher per process, so that a write survives
 * GitHub outages and restarts.
 *
 * Ordering: writes with the same `key` ("check-run:<jobId>") go out one at a
 * time, in enqueue order: a completion never overtakes its create, and a
 * write can use what an earlier one of its key learned (`SendContext.created`:
 * the response of the key's create, e.g. the check run id). Across keys,
 * completions go first, then creates and other writes, then progress: a
 * completion is never starved by progress of other cells.
 *
 * Coalescing: a write with `coalesce` (default: kind "progress") replaces the
 * key's pending coalescable writes, so at most one progress update per check
 * run waits; a "complete" write drops them.
 *
 * Delivery is at least once: a write in flight when the process died is sent
 * again after the restart, flagged `inDoubt`, so the send function can make
 * it idempotent (e.g. look for an existing check run before creating one).
 */
export type OutboxKind = "create" | "progress" | "complete" | (string & Record<never, never>);

export interface OutboxWrite {
  /** Writes of one key go out in order; "check-run:<jobId>". */
  key: string;
  kind: OutboxKind;
  /** JSON-serialisable: what the send function needs (not the check run id, see `SendContext`). */
  payload: unknown;
  /** Replace earlier pending coalescable writes of the key. Default: kind === "progress". */
  coalesce?: boolean;
}

export interface PendingWrite {
  id: number;
  key: string;
  kind: OutboxKind;
  payload: unknown;
  /** 1 on the first try. */
  attempt: number;
}

export interface SendContext {
  /** The recorded response of this key's sent "create" write, if any. */
  created?: unknown;
  /** An earlier attempt was in flight when the process stopped: it may have reached GitHub. */
  inDoubt: boolean;
}

/**
 * sent: done; `response` (JSON) is kept, and given to later writes of the key
 * as `created` when this was a create. retry: a transient failure (5xx,
 * network, rate limit): try again after `retryAfterMs` or the backoff.
 * rejected: GitHub refused it for good (422 validation, 404): never retried.
 */
export type SendResult =
  | { status: "sent"; response?: unknown }
  | { status: "retry"; reason: string; retryAfterMs?: number }
  | { status: "rejected"; reason: string };

/**
 * Performs one write. A throw counts as a failure classified by
 * `classifyHttpFailure` (an Octokit `RequestError` is understood).
 */
export type SendWrite = (write: PendingWrite, context: SendContext) => Promise<SendResult>;

export type OutboxState = "pending" | "sending" | "sent" | "failed" | "superseded";

export interface OutboxRecord {
  id: number;
  key: string;
  kind: OutboxKind;
  payload: unknown;
  state: OutboxState;
  attempts: number;
  createdAt: number;
  doneAt?: number;
  lastError?: string;
  response?: unknown;
}

export interface Outbox {
  /** Records a write (durably, before returning) and wakes the dispatcher. Returns its id. */
  enqueue(write: OutboxWrite): number;
  /**
   * Starts the dispatcher. Writes left "sending" by a dead process are sent
   * again (flagged in doubt). One dispatcher per database. Throws when called twice.
   */
  start(): void;
  /** Stops after the write in flight, if any; pending writes stay for the next start. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Resolves when no write is pending or in flight (all sent, failed or
   * superseded), however long retries take. Rejects when the outbox is not running.
   */
  drain(): Promise<void>;
  /** Writes of one key (or all), oldest first: for dashboards and tests. */
  list(key?: string): OutboxRecord[];
  /** Writes not sent yet (pending or in flight): the backlog /metrics reports. */
  backlog(): number;
}

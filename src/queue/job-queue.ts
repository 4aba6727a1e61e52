/**
 * The queue port: where builds put jobs and runners take them. Implemented by
 * the embedded queue (`createEmbeddedQueue`, in the SQLite store, one process)
 * and, later, by BullMQ on Redis (many runner hosts). Both pass
 * `describeQueueContract` (test/queue/queue-contract.ts).
 *
 * Call order: `recover()` once at start-up (before or after `enqueue`s), then
 * `start(processor)` once, `enqueue`/`cancel` at any time, `stop()` once at
 * shutdown. Jobs enqueued before `start`, or before a restart, are kept and
 * run after it.
 *
 * Guarantees: a job runs at most `concurrency` at a time per queue instance;
 * jobs start in enqueue order (a retry keeps its place but waits its
 * backoff); a job id is in the queue at most once; a job is removed when its
 * processor resolves, throws a non-retryable error, is cancelled, or runs out
 * of attempts. At-least-once: a job whose process died runs again (attempt + 1).
 *
 * What the processor's outcome means: resolves: done; throws: the error's
 * class decides (`errorFate` in src/domain/error-fate.ts). `retry`
 * (`InfrastructureError`): retried with backoff while `attempt <
 * maxAttempts`, then failed; anything else: failed, never retried. The queue
 * is the only place that retries jobs: processors never count attempts.
 * Every failure (retried or final) is reported to `hooks.onFailed`.
 */
export interface QueuedJob<P = unknown> {
  id: string;
  payload: P;
  /** 1 on the first run, 2 on the first retry… (a run cut short by a crash counts). */
  attempt: number;
}

export interface JobContext {
  /**
   * Aborts when the job is cancelled (reason: a `CancelledError`) or the
   * queue stops past its grace period (reason: an `InterruptedError`: the job
   * will run again). The processor should stop soon, clean up, and throw.
   */
  signal: AbortSignal;
}

export type JobProcessor<P = unknown> = (job: QueuedJob<P>, context: JobContext) => Promise<void>;

export interface JobFailure<P = unknown> {
  job: QueuedJob<P>;
  error: unknown;
  /** True when the job will run again (attempt + 1) after `retryInMs`. */
  retrying: boolean;
  retryInMs?: number;
}

export interface RecoveredJob<P = unknown> {
  id: string;
  payload: P;
  /** The attempt it will run as. */
  attempt: number;
  /** False when it had no attempts left: it was removed; report it as an infrastructure failure. */
  requeued: boolean;
}

export interface QueueHooks<P = unknown> {
  /** A processor threw. Errors thrown by the hook are logged and ignored. */
  onFailed?(failure: JobFailure<P>): void | Promise<void>;
  /** Jobs of a process that died (lease expired) were taken back while running. */
  onRecovered?(jobs: RecoveredJob<P>[]): void | Promise<void>;
  /**
   * BullMQ only: Redis lost its data (FLUSHALL, a restart without
   * persistence, a failover to an empty replica). The jobs this process ran
   * (`interrupted`) were stopped like a shutdown stops them, and every queued
   * job is gone: the caller enqueues its unfinished jobs again from its own
   * record (the store). Called once per loss, by every process that sees it.
   */
  onDataLost?(interrupted: string[]): void | Promise<void>;
}

/**
 * removed: it was waiting and will not run. aborted: it was running here, its
 * signal fired. requested: it runs in another process, which will abort it.
 * absent: no such job (already done, or never enqueued).
 */
export type CancelOutcome = "removed" | "aborted" | "requested" | "absent";

export interface StopOptions {
  /** How long running jobs may take to finish before they are aborted. Default 30 s. */
  graceMs?: number;
  /** After aborting, how long to wait for processors to clean up. Default 10 s. */
  abortGraceMs?: number;
}

export interface EnqueueOptions {
  /**
   * Ahead of every job waiting that was not enqueued `first` (a merge
   * queue's group: GitHub's queue, and every pull request in it, waits on
   * it). The order among `first` jobs is the implementation's.
   */
  first?: boolean;
}

export interface JobQueue<P = unknown> {
  /**
   * Adds a job; false (and nothing changes) when that id is already queued or
   * running. The payload must survive JSON (it is stored, not kept in memory).
   */
  enqueue(jobId: string, payload: P, options?: EnqueueOptions): Promise<boolean>;
  /** Cancels a job wherever it is. Never throws for unknown ids. */
  cancel(jobId: string): Promise<CancelOutcome>;
  /**
   * Takes back jobs left running by a dead process, as queued with attempt +
   * 1 (or removed when out of attempts), and returns them so the caller can
   * tell GitHub. Call at start-up; safe to call again.
   */
  recover(): Promise<RecoveredJob<P>[]>;
  /** Starts taking jobs. Throws when called twice. */
  start(processor: JobProcessor<P>, hooks?: QueueHooks<P>): void;
  /**
   * Takes no new job, lets running ones finish within `graceMs`, then aborts
   * the rest with an `InterruptedError` and puts them back in the queue
   * (same attempt). Resolves with the ids put back. Safe to call twice or
   * without `start`.
   */
  stop(options?: StopOptions): Promise<string[]>;
  /** How many jobs wait and run, in all processes sharing the queue. */
  counts(): Promise<{ queued: number; running: number }>;
}

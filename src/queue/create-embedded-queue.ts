import { randomUUID } from "node:crypto";
import { abortRunning } from "./abort-running.js";
import { availableParallelism } from "node:os";
import type { Logger } from "../domain/logger.js";
import type { Clock } from "../domain/clock.js";
import type { StoreCore } from "../store/store-core.js";
import { errorFate } from "../domain/error-fate.js";
import { exponentialBackoff, type Backoff } from "./exponential-backoff.js";
import type { CancelOutcome, JobProcessor, JobQueue, QueueHooks, RecoveredJob, StopOptions } from "./job-queue.js";
import { createQueueRows, type QueueItem, type StaleItem } from "./queue-rows.js";
import { isOwnerDead, ownerId } from "./owner-id.js";

export interface EmbeddedQueueOptions {
  /** The store whose database holds the queue. The queue never closes it. */
  store: StoreCore;
  /** Jobs run at once by this process. Default: the number of cores. */
  concurrency?: number;
  log?: Logger;
  clock?: Clock;
  /** A running job's claim lasts this long without a heartbeat (every third of it). Default 30 s. */
  leaseMs?: number;
  /** Runs of a job, retries included. Default 3. */
  maxAttempts?: number;
  /** Delay before retry n. Default: exponential from 5 s, with jitter. */
  backoff?: Backoff;
  /** How often an idle queue looks for work enqueued by other processes. Default 1 s. */
  pollMs?: number;
  /**
   * The jobs this queue takes (default: all). `ponyci run` takes only its own
   * run's: another run (or a server) sharing the database never runs them,
   * and it runs no one else's.
   */
  accepts?: (jobId: string) => boolean;
}

interface Running {
  item: QueueItem;
  runToken: string;
  controller: AbortController;
  done: Promise<void>;
  /** Why the signal fired, when it did. */
  aborted?: "cancel" | "stop";
}

/**
 * The default `JobQueue`: a table in the store's SQLite file, worked by this
 * process. Durable (queued jobs survive restarts), FIFO, leased: each running
 * job carries this instance's owner id and a lease the heartbeat renews, so
 * `recover()` in the next process can tell a dead owner's jobs from live ones.
 */
export function createEmbeddedQueue<P = unknown>(options: EmbeddedQueueOptions): JobQueue<P> {
  const store = options.store;
  const clock = options.clock ?? store.clock;
  const log = options.log ?? store.log;
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  const leaseMs = options.leaseMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const backoff = options.backoff ?? exponentialBackoff({ baseMs: 5_000 });
  const pollMs = options.pollMs ?? 1_000;
  const rows = createQueueRows(store, clock);
  const owner = ownerId();
  const running = new Map<string, Running>();

  let processor: JobProcessor<P> | undefined;
  let hooks: QueueHooks<P> = {};
  let stopping = false;
  let loops: Promise<void> | undefined;
  let wakeUp = new AbortController();
  const shutdown = new AbortController();

  const wake = (): void => wakeUp.abort();
  const sleep = async (ms: number): Promise<void> => {
    const signal = AbortSignal.any([wakeUp.signal, shutdown.signal]);
    await clock.sleep(ms, signal);
    if (wakeUp.signal.aborted) wakeUp = new AbortController();
  };
  const callHook = async (name: keyof QueueHooks<P>, call: () => void | Promise<void>): Promise<void> => {
    try {
      await call();
    } catch (error) {
      log.error({ err: error, hook: name }, "queue: a hook threw; ignored");
    }
  };
  const toRecovered = (stale: StaleItem[]): RecoveredJob<P>[] =>
    stale.map((item) => ({ id: item.jobId, payload: item.payload as P, attempt: item.attempt, requeued: item.requeued }));

  const settle = async (entry: Running, outcome: { error?: unknown; failed: boolean }): Promise<void> => {
    const { item, runToken } = entry;
    const job = { id: item.jobId, payload: item.payload as P, attempt: item.attempt };
    if (!outcome.failed) return rows.finish(item.jobId, runToken);
    const retrying = entry.aborted !== "cancel" && errorFate(outcome.error) === "retry" && item.attempt < maxAttempts;
    if (retrying) {
      const retryInMs = Math.max(0, backoff(item.attempt));
      rows.retry({ jobId: item.jobId, runToken, attempt: item.attempt + 1, availableAt: clock.now() + retryInMs, error: String(outcome.error) });
      log.warn({ jobId: item.jobId, attempt: item.attempt, retryInMs, err: outcome.error }, "queue: job failed, will retry");
      await callHook("onFailed", () => hooks.onFailed?.({ job, error: outcome.error, retrying, retryInMs }));
    } else {
      rows.finish(item.jobId, runToken);
      log.warn({ jobId: item.jobId, attempt: item.attempt, err: outcome.error }, "queue: job failed");
      await callHook("onFailed", () => hooks.onFailed?.({ job, error: outcome.error, retrying }));
    }
  };

  const launch = (item: QueueItem, runToken: string): void => {
    const controller = new AbortController();
    const entry: Running = { item, runToken, controller, done: Promise.resolve() };
    running.set(item.jobId, entry);
    entry.done = (async () => {
      let outcome: { error?: unknown; failed: boolean };
      try {
        await (processor as JobProcessor<P>)({ id: item.jobId, payload: item.payload as P, attempt: item.attempt }, { signal: controller.signal });
        outcome = { failed: false };
      } catch (error) {
        outcome = { failed: true, error };
      }
      running.delete(item.jobId);
      // A job interrupted by stop() was already put back; nothing of this run counts.
      if (entry.aborted === "stop") return;
      try {
        await settle(entry, outcome);
      } catch (error) {
        log.error({ err: error, jobId: item.jobId }, "queue: could not record the end of a job");
      }
      wake();
    })();
  };

  const claimLoop = async (): Promise<void> => {
    while (!stopping) {
      try {
        while (!stopping && running.size < concurrency) {
          const runToken = randomUUID();
          const item = rows.claim({ owner, runToken, leaseUntil: clock.now() + leaseMs, accepts: options.accepts });
          if (!item) break;
          launch(item, runToken);
        }
        const next = running.size < concurrency ? rows.nextAvailableAt(options.accepts) : undefined;
        await sleep(next === undefined ? pollMs : Math.min(pollMs, Math.max(0, next - clock.now())));
      } catch (error) {
        log.error({ err: error }, "queue: could not take jobs; trying again");
        await sleep(pollMs);
      }
    }
  };

  const heartbeatLoop = async (): Promise<void> => {
    while (!stopping) {
      await clock.sleep(leaseMs / 3, shutdown.signal);
      if (stopping) return;
      try {
        for (const jobId of rows.heartbeat(owner, clock.now() + leaseMs)) abort(jobId, "cancel");
        const stale = rows.takeBackStale({ owner, maxAttempts, isDead: isOwnerDead });
        if (stale.length > 0) {
          log.warn({ jobs: stale.map((item) => item.jobId) }, "queue: took back the jobs of a dead process");
          wake();
          await callHook("onRecovered", () => hooks.onRecovered?.(toRecovered(stale)));
        }
      } catch (error) {
        log.error({ err: error }, "queue: heartbeat failed; trying again");
      }
    }
  };

  const abort = (jobId: string, why: "cancel" | "stop"): boolean => abortRunning(running, jobId, why);

  return {
    enqueue: async (jobId, payload, enqueueOptions) => {
      const added = rows.insert(jobId, payload, enqueueOptions?.first);
      if (added) wake();
      return added;
    },
    cancel: async (jobId): Promise<CancelOutcome> => {
      if (rows.removeQueued(jobId)) return "removed";
      if (abort(jobId, "cancel")) return "aborted";
      return rows.requestCancel(jobId) ? "requested" : "absent";
    },
    recover: async () => {
      const stale = rows.takeBackStale({ owner, maxAttempts, isDead: isOwnerDead });
      if (stale.length > 0) {
        log.warn({ jobs: stale.map((item) => [item.jobId, item.attempt, item.requeued]) }, "queue: took back the jobs of a dead process");
        wake();
      }
      return toRecovered(stale);
    },
    start: (process, startHooks) => {
      if (processor) throw new Error("queue: start() was called twice");
      if (stopping) throw new Error("queue: start() after stop(): create a new queue");
      processor = process;
      hooks = startHooks ?? {};
      loops = Promise.all([claimLoop(), heartbeatLoop()]).then(() => undefined);
      log.info({ owner, concurrency }, "queue: started");
    },
    stop: async ({ graceMs = 30_000, abortGraceMs = 10_000 }: StopOptions = {}) => {
      if (stopping) {
        await loops;
        return [];
      }
      stopping = true;
      shutdown.abort();
      await loops;
      const allDone = (): Promise<unknown> => Promise.all([...running.values()].map((entry) => entry.done));
      const waitOrTimeout = async (ms: number): Promise<void> => {
        const timer = new AbortController();
        await Promise.race([allDone(), clock.sleep(ms, timer.signal)]);
        timer.abort();
      };
      if (running.size > 0) await waitOrTimeout(graceMs);
      const putBack: string[] = [];
      for (const entry of [...running.values()]) {
        if (entry.aborted === "cancel") continue;
        abort(entry.item.jobId, "stop");
        try {
          rows.putBack(entry.item.jobId, entry.runToken);
          putBack.push(entry.item.jobId);
        } catch (error) {
          log.error({ err: error, jobId: entry.item.jobId }, "queue: could not put a job back; recover() will");
        }
      }
      if (running.size > 0) await waitOrTimeout(abortGraceMs);
      if (putBack.length > 0) log.warn({ jobs: putBack }, "queue: stopped; interrupted jobs go back to the queue");
      log.info({ owner }, "queue: stopped");
      return putBack;
    },
    counts: async () => rows.counts(),
  };
}

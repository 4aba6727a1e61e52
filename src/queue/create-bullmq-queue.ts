import { Queue, UnrecoverableError, WaitingError, Worker, type Job, type MinimalJob } from "bullmq";
import { abortRunning } from "./abort-running.js";
import { Redis } from "ioredis";
import { closeRedis } from "../util/close-redis.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import { InfrastructureError } from "../domain/errors.js";
import { errorFate } from "../domain/error-fate.js";
import { exponentialBackoff, type Backoff } from "./exponential-backoff.js";
import type { CancelOutcome, JobProcessor, JobQueue, QueueHooks, StopOptions } from "./job-queue.js";

export interface BullmqQueueOptions {
  /** redis://host:port[/db] (PONYCI_REDIS_URL). */
  url: string;
  /** The BullMQ queue's name. Default "ponyci-jobs". */
  name?: string;
  /** Key prefix in Redis. Default "ponyci". */
  prefix?: string;
  /** Jobs run at once by this process. Default 1. */
  concurrency?: number;
  /** Runs of a job, retries and runs cut short by a crash included. Default 3. */
  maxAttempts?: number;
  /** Delay before retry n. Default: exponential from 5 s, with jitter. */
  backoff?: Backoff;
  /**
   * BullMQ's lock: a running job whose process stops renewing it for this
   * long is taken back (stalled) and runs again as attempt + 1. Default 30 s.
   */
  lockMs?: number;
  log?: Logger;
  /** How often the queue looks for its sentinel key (a Redis that lost its data has none). Default 2 s. */
  dataLossCheckMs?: number;
}

interface Running {
  controller: AbortController;
  aborted?: "cancel" | "stop";
}

/**
 * `JobQueue` on BullMQ (PONYCI_REDIS_URL): the same contract as the embedded
 * queue, so the server runs unchanged over either. The queue owns retries:
 * BullMQ's own `attempts` is set out of reach and every failure is decided
 * here (retryable and attempts left: throw, BullMQ delays it by `backoff`;
 * else `UnrecoverableError`). The attempt is BullMQ's `attemptsStarted`
 * (a run cut short by a crash counts) minus the runs a graceful stop put
 * back (kept in a hash: a stop is not an attempt).
 *
 * Cancel of a job running in another process: a flag key (read at start)
 * plus a pub/sub message every instance listens to, so it lands in well
 * under a second.
 */
export function createBullmqQueue<P = unknown>(options: BullmqQueueOptions): JobQueue<P> {
  const name = options.name ?? "ponyci-jobs";
  const prefix = options.prefix ?? "ponyci";
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const maxAttempts = options.maxAttempts ?? 3;
  const backoff = options.backoff ?? exponentialBackoff({ baseMs: 5_000 });
  const lockMs = options.lockMs ?? 30_000;
  const log = options.log ?? silentLogger;
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const connection = new Redis(options.url, { maxRetriesPerRequest: null });
    connection.on("error", () => undefined); // reported by BullMQ's own "error" events; ioredis reconnects
    connections.push(connection);
    return connection;
  };
  // BullMQ keeps its own keys next to the jobs' (`<prefix>:<name>:<id>`): a job
  // id such as "meta" or "events" would land on one of them. Ours get a prefix.
  const bullId = (jobId: string): string => `j.${jobId}`;
  const ourId = (job: MinimalJob): string => (job.id as string).slice(2);
  const client = connect();
  const queue = new Queue(name, { connection: client, prefix });
  queue.on("error", (error) => log.warn({ err: error }, "queue: Redis error (BullMQ reconnects)"));
  const interruptsKey = `${prefix}-queue:${name}:interrupts`;
  const cancelKey = (jobId: string): string => `${prefix}-queue:${name}:cancel:${jobId}`;
  const cancelChannel = `${prefix}-queue:${name}:cancel`;
  // Written at start, never expiring: when it is gone, so is everything else (FLUSHALL, a restart without persistence).
  const sentinelKey = `${prefix}-queue:${name}:sentinel`;
  /** Jobs this process ran when Redis lost its data: their BullMQ jobs are gone, their processors were stopped. */
  const lost = new Set<string>();
  let dataWatch: NodeJS.Timeout | undefined;
  /** Failure hooks wait for BullMQ's "failed" event: by then the job has left the active list. */
  const pendingFailures = new Map<string, Parameters<NonNullable<QueueHooks<P>["onFailed"]>>[0]>();
  const running = new Map<string, Running>();
  const retryDelays = new Map<string, number>();
  let worker: Worker | undefined;
  let subscriber: Redis | undefined;
  let hooks: QueueHooks<P> = {};
  let stopping = false;
  let stopped: Promise<string[]> | undefined;

  const callHook = async (hook: keyof QueueHooks<P>, call: () => void | Promise<void>): Promise<void> => {
    try {
      await call();
    } catch (error) {
      log.error({ err: error, hook }, "queue: a hook threw; ignored");
    }
  };
  const attemptOf = async (job: Job): Promise<number> => {
    const interrupts = Number((await client.hget(interruptsKey, ourId(job))) ?? 0);
    return job.attemptsStarted - interrupts;
  };
  const abort = (jobId: string, why: "cancel" | "stop"): boolean => abortRunning(running, jobId, why);
  const forget = async (jobId: string): Promise<void> => {
    await client.multi().hdel(interruptsKey, jobId).del(cancelKey(jobId)).exec();
  };

  const run = (processor: JobProcessor<P>) => async (job: Job, token?: string): Promise<void> => {
    const jobId = ourId(job);
    const attempt = await attemptOf(job);
    const queued = { id: jobId, payload: job.data as P, attempt };
    // Runs cut short by crashes used up the attempts: it ends here, as an infrastructure failure.
    if (attempt > maxAttempts) {
      await forget(jobId);
      await callHook("onRecovered", () => hooks.onRecovered?.([{ ...queued, requeued: false }]));
      throw new UnrecoverableError("the process running this job died too many times");
    }
    const entry: Running = { controller: new AbortController() };
    running.set(jobId, entry);
    if (await client.exists(cancelKey(jobId))) abort(jobId, "cancel");
    let failure: { error: unknown } | undefined;
    try {
      await processor(queued, { signal: entry.controller.signal });
    } catch (error) {
      failure = { error };
    } finally {
      running.delete(jobId);
    }
    // Redis lost the job: nothing to move; onDataLost re-queues it from the store.
    if (lost.delete(jobId)) throw new WaitingError();
    if (entry.aborted === "stop") {
      // Back to the front of the queue, same attempt (a stop is not an attempt).
      await client.hincrby(interruptsKey, jobId, 1);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (!failure) return void (await forget(jobId));
    const retrying = entry.aborted !== "cancel" && errorFate(failure.error) === "retry" && attempt < maxAttempts;
    if (retrying) {
      const retryInMs = Math.max(0, backoff(attempt));
      retryDelays.set(jobId, retryInMs);
      log.warn({ jobId, attempt, retryInMs, err: failure.error }, "queue: job failed, will retry");
      pendingFailures.set(jobId, { job: queued, error: failure.error, retrying, retryInMs });
      throw failure.error instanceof Error ? failure.error : new InfrastructureError(String(failure.error));
    }
    await forget(jobId);
    log.warn({ jobId, attempt, err: failure.error }, "queue: job failed");
    pendingFailures.set(jobId, { job: queued, error: failure.error, retrying });
    throw new UnrecoverableError(failure.error instanceof Error ? failure.error.message : String(failure.error));
  };

  return {
    enqueue: async (jobId, payload, enqueueOptions) => {
      if (await queue.getJob(bullId(jobId))) return false;
      await queue.add("job", payload, {
        jobId: bullId(jobId),
        // `first`: the head of the wait list (LIFO among such jobs).
        ...(enqueueOptions?.first ? { lifo: true } : {}),
        // Retries are decided in run(); BullMQ only carries them out.
        attempts: 1_000_000,
        backoff: { type: "ponyci" },
        removeOnComplete: true,
        removeOnFail: true,
      });
      return true;
    },
    cancel: async (jobId): Promise<CancelOutcome> => {
      if (abort(jobId, "cancel")) return "aborted";
      const job = await queue.getJob(bullId(jobId));
      if (!job) return "absent";
      const state = await job.getState();
      if (state !== "active") {
        try {
          await job.remove();
          await forget(jobId);
          return "removed";
        } catch {
          // It became active meanwhile: ask its process.
        }
      }
      await client.set(cancelKey(jobId), "1", "EX", 24 * 3600);
      await client.publish(cancelChannel, jobId);
      return "requested";
    },
    // BullMQ's stalled-job check takes back the jobs of dead processes on
    // its own (reported through `onRecovered`); nothing to do at start-up.
    recover: async () => [],
    start: (processor, startHooks) => {
      if (worker) throw new Error("queue: start() was called twice");
      if (stopping) throw new Error("queue: start() after stop(): create a new queue");
      hooks = startHooks ?? {};
      subscriber = connect();
      subscriber.on("message", (_channel: string, jobId: string) => void abort(jobId, "cancel"));
      subscriber.subscribe(cancelChannel).catch((error: unknown) => log.error({ err: error }, "queue: cannot subscribe to cancels"));
      worker = new Worker(name, run(processor), {
        connection: connect(),
        prefix,
        concurrency,
        lockDuration: lockMs,
        stalledInterval: Math.max(1_000, Math.floor(lockMs / 2)),
        maxStalledCount: 1_000_000,
        settings: {
          backoffStrategy: (_made: number, _type?: string, _error?: Error, job?: MinimalJob) => {
            const id = job ? ourId(job) : "";
            const delay = retryDelays.get(id) ?? 0;
            retryDelays.delete(id);
            return delay;
          },
        },
      });
      worker.on("error", (error) => log.warn({ err: error }, "queue: worker error (BullMQ reconnects)"));
      worker.on("failed", (job) => {
        const failure = job ? pendingFailures.get(ourId(job)) : undefined;
        if (!job || !failure) return;
        pendingFailures.delete(ourId(job));
        void callHook("onFailed", () => hooks.onFailed?.(failure));
      });
      worker.on("stalled", (id: string) => {
        void (async () => {
          const job = await queue.getJob(id);
          if (!job) return;
          const jobId = ourId(job);
          log.warn({ jobId }, "queue: took back a job of a dead process");
          await callHook("onRecovered", async () => hooks.onRecovered?.([{ id: jobId, payload: job.data as P, attempt: (await attemptOf(job)) + 1, requeued: true }]));
        })();
      });
      // Redis as a recoverable dependency: see onDataLost (QueueHooks).
      const checkData = async (): Promise<void> => {
        if (stopping || client.status !== "ready") return;
        if ((await client.set(sentinelKey, String(Date.now()), "NX")) !== "OK") return; // still there
        const interrupted = [...running.keys()];
        log.error({ interrupted }, "queue: Redis lost its data (the queue's sentinel key is gone): stopping the jobs running here; every unfinished job is queued again from the store");
        for (const jobId of interrupted) {
          lost.add(jobId);
          abort(jobId, "stop");
        }
        for (let waited = 0; interrupted.some((jobId) => running.has(jobId)) && waited < 15_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
        await callHook("onDataLost", () => hooks.onDataLost?.(interrupted));
      };
      void client.set(sentinelKey, String(Date.now()), "NX").catch(() => undefined);
      let checking = false;
      dataWatch = setInterval(() => {
        if (checking) return;
        checking = true;
        void checkData()
          .catch(() => undefined) // Redis away: looked at again next time
          .finally(() => (checking = false));
      }, options.dataLossCheckMs ?? 2_000);
      dataWatch.unref();
      log.info({ name, concurrency }, "queue: started (BullMQ)");
    },
    stop: async ({ graceMs = 30_000, abortGraceMs = 10_000 }: StopOptions = {}) => {
      if (stopped) {
        await stopped;
        return [];
      }
      stopped = (async () => {
        stopping = true;
        clearInterval(dataWatch);
        const putBack: string[] = [];
        if (worker) {
          // No new jobs; the running ones get graceMs, then are interrupted.
          const closing = worker.close();
          let timer: NodeJS.Timeout | undefined;
          const graceOver = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), graceMs)));
          const first = await Promise.race([closing.then(() => "closed" as const), graceOver]);
          clearTimeout(timer);
          if (first === "timeout") {
            for (const jobId of running.keys()) {
              if (running.get(jobId)?.aborted === "cancel") continue;
              abort(jobId, "stop");
              putBack.push(jobId);
            }
            await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, abortGraceMs).unref())]);
          }
        }
        await queue.close();
        for (const connection of connections) await closeRedis(connection);
        if (putBack.length > 0) log.warn({ jobs: putBack }, "queue: stopped; interrupted jobs go back to the queue");
        return putBack;
      })();
      return stopped;
    },
    counts: async () => {
      // After stop() the connections are closed: a short-lived one answers.
      const reader = stopped ? new Queue(name, { connection: { ...redisOptionsOf(options.url), maxRetriesPerRequest: null }, prefix }) : queue;
      const counts = await reader.getJobCounts("waiting", "delayed", "prioritized", "paused", "active").finally(() => (reader === queue ? undefined : reader.close()));
      return { queued: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0) + (counts.paused ?? 0), running: counts.active ?? 0 };
    },
  };
}

/** ioredis options from a redis:// URL, for the places BullMQ wants options rather than a client. */
function redisOptionsOf(url: string): { host: string; port: number; db?: number; username?: string; password?: string } {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(db !== undefined ? { db } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}


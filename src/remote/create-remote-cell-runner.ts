import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { closeRedis, settleWithin } from "../util/close-redis.js";
import { InfrastructureError } from "../domain/errors.js";
import { emptyCounts, type FinishedEvent, type RunnerEvent } from "../domain/events.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import { remoteNames, type CellDispatch, type EventEnvelope, type RunnerStatus, type SignedDispatch, type WireEvent } from "../domain/remote-protocol.js";
import type { RedisSeal } from "../domain/redis-seal.js";
import type { CellRunner, CellSpec } from "../domain/cell-runner.js";
import { createEventChannel } from "../util/event-channel.js";
import { delay } from "../util/delay.js";
import { acceptEnvelope, type CurrentAttempt } from "./accept-envelope.js";
import { cellPriority } from "./cell-priority.js";
import { compareStreamIds } from "./compare-stream-ids.js";
import { parseEnvelope } from "./parse-envelope.js";
import { summariseWaits, type WaitSummary } from "./summarise-waits.js";

/** Where a cell goes and who it competes with: from the build it belongs to. */
export interface CellRoute {
  repo: string;
  pullRequest: boolean;
  labels: string[];
}

export interface RemoteCellRunnerOptions {
  url: string;
  /** Signs dispatches and cancels, verifies runners' events, seals clone tokens (PONYCI_REDIS_SIGNING_KEY). */
  seal: RedisSeal;
  prefix?: string;
  routeOf(spec: CellSpec): CellRoute;
  log?: Logger;
  /** How often a running attempt's BullMQ state is looked at (a lost runner shows as a failed job). Default 1 s. */
  pollMs?: number;
  /** The lock runners take (their `lockMs`): also the stalled check of the server's own watchers. Default 10 s. */
  lockMs?: number;
  /** After a cancel, how long to wait for the runner's own verdict. Default 10 s. */
  cancelGraceMs?: number;
  /** Records queue waits and dropped late events as they happen (runners and waiting cells are read on scrape via `metrics()`). */
  metrics?: RemoteCellMetrics;
}

/** What the remote cell runner reports as it happens (src/metrics/metrics.ts implements it; declared here so metrics may read ScaleOutMetrics without a cycle). */
export interface RemoteCellMetrics {
  observeRemoteQueueWait(queue: string, seconds: number): void;
  countLateEvent(): void;
}

export interface ScaleOutMetrics {
  /** Runners whose heartbeat is current, and what each runs. */
  runners: RunnerStatus[];
  /** Cells waiting per cells queue (Python × labels). */
  waiting: Record<string, number>;
  /** Queue wait (dispatch → taken) of the last cells, per cells queue. */
  queueWait: Record<string, WaitSummary>;
  /** Events dropped by fencing (late events of lost attempts). */
  staleEvents: number;
}

export interface RemoteCellRunner extends CellRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Numbers for /metrics (a prom-client collector can read them on scrape). */
  metrics(): Promise<ScaleOutMetrics>;
}

interface Awaited {
  current: CurrentAttempt;
  deliver(envelope: EventEnvelope): void;
}

const WAIT_SAMPLES = 500;

/**
 * The server's side of scale-out, as a `CellRunner`: `runCell` dispatches
 * one attempt of the cell to the BullMQ queue of its Python and labels and
 * yields the events the runner that took it sends back, so the job
 * processor (store, check runs) is the same as for a local runner.
 *
 * Numbered steps of an attempt:
 * 1. fence = INCR of the job's counter; attemptId = `<job>#<fence>`; older
 *    attempts of the job are told to stop (a restarted server's retry);
 * 2. add the dispatch (priority: round-robin over repositories, default
 *    branch ahead of pull requests) and wake idle runners;
 * 3. yield the attempt's events, dropping everything not of this attempt;
 * 4. every `pollMs`, look at the BullMQ job: failed or gone without a verdict
 *    means its runner was lost (BullMQ's stalled check, after `lockMs`):
 *    finish with an infrastructure error, which the queue retries (a new
 *    attempt, a new fence) and whose verdict notes "Retried after runner X
 *    was lost.";
 * 5. on abort: cancel over pub/sub, reach the runner within a second.
 */
export function createRemoteCellRunner(options: RemoteCellRunnerOptions): RemoteCellRunner {
  const names = remoteNames(options.prefix);
  const prefix = options.prefix ?? "ponyci";
  const log = options.log ?? silentLogger;
  const pollMs = options.pollMs ?? 1_000;
  const lockMs = options.lockMs ?? 10_000;
  const cancelGraceMs = options.cancelGraceMs ?? 10_000;
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const connection = new Redis(options.url, { maxRetriesPerRequest: null });
    connection.on("error", (error: Error) => log.debug({ err: error }, "remote: Redis connection error (reconnecting)"));
    connections.push(connection);
    return connection;
  };
  const client = connect();
  const queues = new Map<string, Queue>();
  const watchers: Worker[] = [];
  const awaited = new Map<string, Awaited>();
  /** The last fence this server gave each job (the newest 10,000 jobs): fences keep growing after Redis lost its data. */
  const lastFence = new Map<string, number>();
  const waitingByRepo = new Map<string, number>();
  const waits = new Map<string, number[]>();
  /** Notes for the next verdict of a job (why earlier attempts were retried): kept in Redis (notesKey) for a day at most. */
  const NOTES_TTL_SEC = 24 * 3600;
  /** The notes only inform: a Redis that does not answer within this long costs them, never the verdict. */
  const NOTES_WAIT_MS = 2_000;
  let staleEvents = 0;
  let forgedEvents = 0;
  const publishCancel = (message: object): Promise<number> => {
    const text = JSON.stringify(message);
    return client.publish(names.cancelChannel, `${options.seal.sign("cancel", text)} ${text}`);
  };
  let lastId = "0-0";
  let stopping = false;
  let reading: Promise<void> | undefined;
  let reader: Redis | undefined;

  const queueFor = (name: string): Queue => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: client, prefix });
      queue.on("error", (error) => log.debug({ err: error }, "remote: queue error"));
      queues.set(name, queue);
      // A stalled check on every queue the server uses, so a cell whose only runner died is noticed too.
      const watcher = new Worker(name, undefined, { connection: connect(), prefix, lockDuration: lockMs, maxStalledCount: 0, stalledInterval: Math.max(500, Math.floor(lockMs / 2)), autorun: false });
      watcher.on("error", (error) => log.debug({ err: error }, "remote: watcher error"));
      void watcher.startStalledCheckTimer().catch(() => undefined);
      watchers.push(watcher);
    }
    return queue;
  };

  const readLoop = async (): Promise<void> => {
    const stream = reader as Redis;
    while (!stopping) {
      try {
        const result = (await stream.xread("COUNT", 500, "BLOCK", 1_000, "STREAMS", names.events, lastId)) as [string, [string, string[]][]][] | null;
        for (const [, entries] of result ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const text = fieldOf(fields, "e");
            // Whoever can write to Redis cannot speak for a runner: no valid signature, no event.
            if (text === undefined || !options.seal.verify("event", text, fieldOf(fields, "s"))) {
              forgedEvents++;
              if (forgedEvents === 1 || forgedEvents % 1000 === 0) log.warn({ id, count: forgedEvents }, "remote: dropped an unsigned or mis-signed runner event (is PONYCI_REDIS_SIGNING_KEY the same on every runner?)");
              continue;
            }
            const envelope = parseEnvelope(text);
            if (!envelope) continue;
            const target = awaited.get(envelope.jobId);
            const verdict = acceptEnvelope(target?.current, envelope);
            if (verdict === "accept") target?.deliver(envelope);
            else if (verdict === "stale") {
              staleEvents++;
              options.metrics?.countLateEvent();
              log.info({ attemptId: envelope.attemptId, runner: envelope.runnerId, type: envelope.event.type }, "remote: dropped an event of an attempt given up on");
            }
          }
        }
      } catch (error) {
        if (stopping) return;
        log.warn({ err: error }, "remote: cannot read runner events (Redis away?); trying again");
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };

  /** Resolves once the reader has handled everything in the stream now. */
  const catchUp = async (): Promise<void> => {
    const last = (await client.xrevrange(names.events, "+", "-", "COUNT", 1)) as [string, string[]][];
    const target = last[0]?.[0];
    if (!target) return;
    for (let i = 0; i < 100 && compareStreamIds(lastId, target) < 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  const recordWait = (queue: string, ms: number): void => {
    const samples = waits.get(queue) ?? [];
    samples.push(ms);
    if (samples.length > WAIT_SAMPLES) samples.shift();
    waits.set(queue, samples);
    options.metrics?.observeRemoteQueueWait(queue, ms / 1000);
  };

  async function* runAttempt(spec: CellSpec, signal: AbortSignal | undefined): AsyncGenerator<RunnerEvent> {
    const route = options.routeOf(spec);
    // 1. Fence.
    let fence = await client.incr(names.fenceKey(spec.jobId));
    // A Redis that lost its data counts from 1 again: fences must still grow, or an old attempt's id comes back.
    const floor = lastFence.get(spec.jobId) ?? 0;
    if (fence <= floor) {
      fence = floor + 1;
      await client.set(names.fenceKey(spec.jobId), String(fence));
    }
    lastFence.delete(spec.jobId);
    lastFence.set(spec.jobId, fence);
    if (lastFence.size > 10_000) lastFence.delete(lastFence.keys().next().value as string);
    await client.expire(names.fenceKey(spec.jobId), 30 * 24 * 3600);
    const attemptId = `${spec.jobId}#${fence}`;
    const channel = createEventChannel<EventEnvelope>();
    awaited.set(spec.jobId, { current: { attemptId, fence }, deliver: (envelope) => channel.push(envelope) });
    await publishCancel({ jobId: spec.jobId, belowFence: fence });

    // 2. Dispatch.
    const queueName = names.cellQueue(spec.cell.python, route.labels);
    const queue = queueFor(queueName);
    const waiting = waitingByRepo.get(route.repo) ?? 0;
    waitingByRepo.set(route.repo, waiting + 1);
    let counted = true;
    const uncount = (): void => {
      if (!counted) return;
      counted = false;
      const left = (waitingByRepo.get(route.repo) ?? 1) - 1;
      if (left <= 0) waitingByRepo.delete(route.repo);
      else waitingByRepo.set(route.repo, left);
    };
    // The clone token never sits in Redis in clear: sealed for the runners.
    const { token, ...source } = spec.source;
    const dispatch: CellDispatch<CellSpec> = {
      attemptId,
      jobId: spec.jobId,
      fence,
      spec: { ...spec, source },
      repo: route.repo,
      labels: route.labels,
      queuedAt: Date.now(),
      ...(token ? { sealedToken: options.seal.seal(token) } : {}),
    };
    const body = JSON.stringify(dispatch);
    const signed: SignedDispatch = { body, sig: options.seal.sign("dispatch", body) };
    const bullId = `a.${spec.jobId}.${fence}`;
    await queue.add("cell", signed, {
      jobId: bullId,
      priority: cellPriority({ waitingOfRepo: waiting, pullRequest: route.pullRequest }),
      attempts: 1,
      removeOnComplete: { age: 3_600 },
      removeOnFail: { age: 3_600 },
    });
    await client.publish(`${prefix}:cells-wake`, queueName);

    // 4. and 5.: watch the attempt.
    let runnerId: string | undefined;
    let finished = false;
    let cancelled = false;
    const endWith = (event: WireEvent): void => {
      channel.push({ attemptId, jobId: spec.jobId, fence, runnerId: runnerId ?? "server", event });
    };
    const poll = setInterval(() => {
      void (async () => {
        if (finished) return;
        const state = await queue.getJobState(bullId);
        if (state !== "failed" && state !== "completed" && state !== "unknown") return;
        await catchUp();
        if (finished || awaited.get(spec.jobId)?.current.attemptId !== attemptId) return;
        const who = runnerId ? `runner ${runnerId}` : "the runner that took it";
        log.warn({ attemptId, runner: runnerId, state }, "remote: a runner was lost while running a cell");
        await settleWithin(client.multi().rpush(names.notesKey(spec.jobId), `Retried after ${who} was lost.`).expire(names.notesKey(spec.jobId), NOTES_TTL_SEC).exec(), NOTES_WAIT_MS);
        if (finished) return; // the real verdict came meanwhile
        endWith({ type: "finished", conclusion: "error", counts: emptyCounts(), durationMs: 0, testDurationMs: 0, error: { message: `${who} was lost while running this cell` }, infrastructure: true });
      })().catch((error: unknown) => log.debug({ err: error }, "remote: cannot look at a cell's state (Redis away?)"));
    }, pollMs);
    const onAbort = (): void => {
      if (cancelled || finished) return;
      cancelled = true;
      void (async () => {
        await publishCancel({ attemptId });
        const job = await queue.getJob(bullId);
        const removed = job ? await job.remove().then(() => true, () => false) : false;
        if (removed || !job) return endWith(cancelledVerdict("cancelled before a runner took it"));
        setTimeout(() => endWith(cancelledVerdict("the runner did not confirm the cancel in time")), cancelGraceMs).unref();
      })().catch(() => endWith(cancelledVerdict("cancelled")));
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });

    // 3. Relay.
    try {
      for await (const envelope of channel) {
        const event = envelope.event;
        if (event.type === "taken") {
          runnerId = envelope.runnerId;
          uncount();
          recordWait(queueName, Math.max(0, event.at - dispatch.queuedAt));
          continue;
        }
        if (event.type === "finished") {
          finished = true;
          // An infrastructure verdict is retried, and a cancelled attempt may be too (a server shutdown puts the job back):
          // the notes wait for the verdict that ends the job.
          const earlier = await Promise.race([client.lrange(names.notesKey(spec.jobId), 0, -1).catch(() => undefined), delay(NOTES_WAIT_MS).then(() => undefined)]);
          if (!event.infrastructure && event.conclusion !== "cancelled" && earlier?.length) void client.del(names.notesKey(spec.jobId)).catch(() => undefined);
          yield fromWire(event, earlier);
          return;
        }
        yield event;
      }
    } finally {
      finished = true;
      clearInterval(poll);
      signal?.removeEventListener("abort", onAbort);
      uncount();
      if (awaited.get(spec.jobId)?.current.attemptId === attemptId) awaited.delete(spec.jobId);
    }
  }

  return {
    runCell: (spec, { signal } = {}) => runAttempt(spec, signal),
    async start() {
      const last = (await client.xrevrange(names.events, "+", "-", "COUNT", 1)) as [string, string[]][];
      lastId = last[0]?.[0] ?? "0-0";
      reader = connect();
      reading = readLoop();
    },
    async stop() {
      stopping = true;
      reader?.disconnect();
      await reading?.catch(() => undefined);
      for (const watcher of watchers) {
        await settleWithin(watcher.close(true), 2_000);
        await settleWithin(watcher.disconnect(), 1_000);
      }
      for (const queue of queues.values()) await queue.close().catch(() => undefined);
      for (const connection of connections) await closeRedis(connection);
    },
    async metrics() {
      const ids = await client.smembers(names.runners);
      const runners: RunnerStatus[] = [];
      for (const id of ids) {
        const text = await client.get(names.runnerKey(id));
        if (text) runners.push(JSON.parse(text) as RunnerStatus);
        else await client.srem(names.runners, id);
      }
      const waiting: Record<string, number> = {};
      for (const [name, queue] of queues) {
        const counts = await queue.getJobCounts("waiting", "prioritized", "delayed");
        waiting[name] = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
      }
      const queueWait: Record<string, WaitSummary> = {};
      for (const [name, samples] of waits) queueWait[name] = summariseWaits(samples);
      return { runners, waiting, queueWait, staleEvents };
    },
  };
}

/** The value of a stream entry's field (fields come as [name, value, name, value, …]). */
function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function cancelledVerdict(message: string): WireEvent {
  return { type: "finished", conclusion: "cancelled", counts: emptyCounts(), durationMs: 0, testDurationMs: 0, error: { message } };
}

function fromWire(event: Extract<WireEvent, { type: "finished" }>, notes: string[] | undefined): FinishedEvent {
  const { infrastructure, ...rest } = event;
  const finished: FinishedEvent = { ...rest, ...(notes && notes.length > 0 ? { notes: [...(rest.notes ?? []), ...notes] } : {}) };
  if (infrastructure) finished.infrastructureError = new InfrastructureError(event.error?.message ?? "infrastructure error on the runner");
  return finished;
}


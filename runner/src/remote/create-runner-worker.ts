import { randomUUID } from "node:crypto";
import { Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { closeRedis, settleWithin } from "../../../src/util/close-redis.js";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { InfrastructureError } from "../../../src/domain/errors.js";
import { emptyCounts, type FinishedEvent } from "../../../src/domain/events.js";
import {
  HEARTBEAT_MS,
  RUNNER_TTL_MS,
  queuesForRunner,
  remoteNames,
  type CancelMessage,
  type CellDispatch,
  type EventEnvelope,
  type RunnerStatus,
  type SignedDispatch,
  type WireEvent,
} from "../../../src/domain/remote-protocol.js";
import type { RedisSeal } from "../../../src/domain/redis-seal.js";
import { isNetworkRepoUrl, parseRepoUrl } from "../../../src/domain/parse-repo-url.js";
import type { CellRunner, CellSpec } from "../../../src/domain/cell-runner.js";
import { toWireEvent } from "./to-wire-event.js";

export interface RunnerWorkerOptions {
  /** redis://host:port of the server's Redis. */
  url: string;
  /** Verifies dispatches and cancels, signs events, opens clone tokens (PONYCI_REDIS_SIGNING_KEY, the server's). */
  seal: RedisSeal;
  /**
   * Whether this runner may check out a repository url. Default: network
   * urls only (https, ssh, git@host:path), never a local path or file://
   * (a job must not make a runner read the host's own repositories). The
   * runner inside `ponyci serve` adds the bridge's configured urls.
   */
  allowUrl?: (url: string) => boolean;
  prefix?: string;
  /** Shown in check runs and metrics; unique among the runners of one server. */
  id: string;
  labels: string[];
  /** Python versions whose base images this host has. */
  pythons: string[];
  /** Cells run at once. */
  concurrency: number;
  /** Runs one cell (the local Docker runner, or a dummy in benchmarks). */
  cells: CellRunner;
  log?: Logger;
  /**
   * BullMQ lock on a taken cell. The worker renews it every third of this on
   * its own timer; a runner that dies or loses its network stops renewing,
   * BullMQ declares the attempt stalled after this long and the server
   * retries the cell elsewhere. Default 10 s.
   */
  lockMs?: number;
  heartbeatMs?: number;
  /** Heartbeat key expiry: a runner silent this long is gone. */
  ttlMs?: number;
  /** How often an idle slot looks at the queues when no wake-up came. Default 1 s. */
  pollMs?: number;
  /**
   * Asked before each take: false while this host cannot run cells (its
   * Docker Engine does not answer, its base images are gone). The worker
   * then takes nothing and keeps its heartbeat; cells wait for other runners.
   */
  accepting?: () => boolean;
}

export interface RunnerWorker {
  start(): Promise<void>;
  /**
   * Drains (SIGTERM): takes no new cell, lets running ones finish within
   * `graceMs` (default 30 s); the rest end as infrastructure errors, which
   * the server retries on another runner.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  status(): RunnerStatus;
}

interface Attempt {
  dispatch: CellDispatch<CellSpec>;
  controller: AbortController;
  /** Set when the runner cut it short (drain): reported as this infrastructure error. */
  cutShort?: string;
  renew?: NodeJS.Timeout;
}

/**
 * `ponyci runner`'s engine: takes cells from the BullMQ queues it can serve
 * (`queuesForRunner`: its Pythons × label subsets), runs them with the local
 * runner, and appends every event to the server's events stream tagged with
 * the attempt id and fencing token. It holds no GitHub credentials: the
 * dispatch carries a short-lived clone token.
 *
 * Lock renewal: BullMQ's manual mode (`getNextJob` + `job.extendLock`), on
 * this process's own timer. Nothing here blocks the event loop for long:
 * Docker and git are child processes and sockets, log lines are handled one
 * at a time, so the renewal timer always gets its turn (a sandboxed
 * processor would add a process per cell for no gain). One process, one
 * concurrency limit over all queues: BullMQ's per-Worker concurrency could
 * not bound the sum.
 */
export function createRunnerWorker(options: RunnerWorkerOptions): RunnerWorker {
  const names = remoteNames(options.prefix);
  const prefix = options.prefix ?? "ponyci";
  const log = options.log ?? silentLogger;
  const lockMs = options.lockMs ?? 10_000;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const ttlMs = options.ttlMs ?? RUNNER_TTL_MS;
  const pollMs = options.pollMs ?? 1_000;
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const connection = new Redis(options.url, { maxRetriesPerRequest: null });
    connection.on("error", (error: Error) => log.debug({ err: error }, "runner: Redis connection error (reconnecting)"));
    connections.push(connection);
    return connection;
  };
  const queueNames = queuesForRunner(options.pythons, options.labels);
  const running = new Map<string, Attempt>();
  let workers: Worker[] = [];
  let client: Redis | undefined;
  let subscriber: Redis | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let stopping = false;
  let slots: Promise<void>[] = [];
  let wake = new AbortController();
  let rotation = 0;

  const status = (): RunnerStatus => ({
    id: options.id,
    labels: options.labels,
    pythons: options.pythons,
    concurrency: options.concurrency,
    running: [...running.keys()],
    at: Date.now(),
    draining: stopping,
  });
  const beat = async (): Promise<void> => {
    await client?.multi().set(names.runnerKey(options.id), JSON.stringify(status()), "PX", ttlMs).sadd(names.runners, options.id).exec();
  };
  const onCancel = (signed: string): void => {
    const space = signed.indexOf(" ");
    const text = signed.slice(space + 1);
    if (space < 0 || !options.seal.verify("cancel", text, signed.slice(0, space))) return;
    let message: CancelMessage;
    try {
      message = JSON.parse(text) as CancelMessage;
    } catch {
      return;
    }
    for (const attempt of running.values()) {
      const hit = "attemptId" in message ? attempt.dispatch.attemptId === message.attemptId : attempt.dispatch.jobId === message.jobId && attempt.dispatch.fence < message.belowFence;
      if (hit && !attempt.controller.signal.aborted) {
        log.info({ attemptId: attempt.dispatch.attemptId }, "runner: cancel received");
        attempt.controller.abort(new Error("cancelled by the server"));
      }
    }
  };
  const idle = async (): Promise<void> => {
    const signal = wake.signal;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      signal.addEventListener("abort", done, { once: true });
    });
  };

  const takeNext = async (): Promise<{ job: Job; token: string } | undefined> => {
    const start = rotation++;
    for (let i = 0; i < workers.length && !stopping; i++) {
      const worker = workers[(start + i) % workers.length] as Worker;
      const token = randomUUID();
      const job = await worker.getNextJob(token, { block: false });
      if (job) return { job, token };
    }
    return undefined;
  };

  const allowUrl = options.allowUrl ?? isNetworkRepoUrl;
  /** The signed dispatch with its token opened, or why it is refused (unsigned, another key, a url this runner does not fetch). */
  const openDispatch = (data: unknown): { dispatch?: CellDispatch<CellSpec>; refusal?: string } => {
    const signed = data as Partial<SignedDispatch> | undefined;
    if (typeof signed?.body !== "string" || !options.seal.verify("dispatch", signed.body, signed.sig)) {
      return { refusal: "unsigned or mis-signed cell (not from a server holding this runner's PONYCI_REDIS_SIGNING_KEY)" };
    }
    const dispatch = JSON.parse(signed.body) as CellDispatch<CellSpec>;
    if (dispatch.sealedToken !== undefined) {
      const token = options.seal.open(dispatch.sealedToken);
      if (token === undefined) return { refusal: "its clone token cannot be opened with this runner's key" };
      dispatch.spec = { ...dispatch.spec, source: { ...dispatch.spec.source, token } };
    }
    for (const url of [dispatch.spec.source.url, ...(dispatch.spec.upstream ?? []).map((upstream) => upstream.url)]) {
      if (!allowUrl(url)) return { dispatch, refusal: `this runner does not check out ${JSON.stringify(safeUrl(url))}: only https://, ssh:// and git@host:path urls${options.allowUrl ? " and the bridge's configured repositories" : ""}` };
    }
    return { dispatch };
  };

  const refuse = async (job: Job, token: string, why: string, dispatch: CellDispatch<CellSpec> | undefined): Promise<void> => {
    log.error({ bullJob: job.id, attemptId: dispatch?.attemptId }, `runner: refused a cell: ${why}`);
    if (dispatch) {
      // Signed by the server: it waits for this attempt and is told why (a configuration error, not retried).
      const envelope: EventEnvelope = { attemptId: dispatch.attemptId, jobId: dispatch.jobId, fence: dispatch.fence, runnerId: options.id, event: { type: "finished", conclusion: "error", counts: emptyCounts(), durationMs: 0, testDurationMs: 0, error: { message: `runner ${options.id} refused this cell: ${why}` } } };
      const text = JSON.stringify(envelope);
      await client?.xadd(names.events, "MAXLEN", "~", "100000", "*", "e", text, "s", options.seal.sign("event", text)).catch(() => undefined);
    }
    await job.moveToFailed(new Error(`refused: ${why}`), token, false).catch(() => undefined);
  };

  const runAttempt = async (job: Job, token: string): Promise<void> => {
    const opened = openDispatch(job.data);
    const dispatch = opened.dispatch;
    if (opened.refusal !== undefined || !dispatch) return refuse(job, token, opened.refusal ?? "unreadable cell", dispatch);
    const attempt: Attempt = { dispatch, controller: new AbortController() };
    running.set(dispatch.attemptId, attempt);
    const events = client as Redis;
    const send = (event: WireEvent): Promise<unknown> => {
      const envelope: EventEnvelope = { attemptId: dispatch.attemptId, jobId: dispatch.jobId, fence: dispatch.fence, runnerId: options.id, event };
      const text = JSON.stringify(envelope);
      return events.xadd(names.events, "MAXLEN", "~", "100000", "*", "e", text, "s", options.seal.sign("event", text));
    };
    let lockLost = false;
    let renewedAt = Date.now();
    const loseLock = (why: string): void => {
      if (lockLost) return;
      lockLost = true;
      log.warn({ attemptId: dispatch.attemptId }, `runner: ${why}; stopping the cell (the server retries it elsewhere)`);
      attempt.controller.abort(new Error(why));
    };
    const renew = setInterval(() => {
      // Cut off for longer than the lock: BullMQ has given the attempt up by now.
      if (Date.now() - renewedAt > lockMs) return loseLock("could not renew the lock of a cell in time");
      job.extendLock(token, lockMs).then(
        (ok) => {
          if (ok) return void (renewedAt = Date.now());
          loseLock("BullMQ gave the attempt up (its lock is gone)");
        },
        (error: unknown) => log.debug({ err: error }, "runner: could not renew a lock (Redis away?); trying again"),
      );
    }, Math.max(200, Math.floor(lockMs / 3)));
    attempt.renew = renew;
    log.info({ attemptId: dispatch.attemptId, repo: dispatch.repo, cell: dispatch.spec.cell }, "runner: took a cell");
    void beat().catch(() => undefined);
    let sent: Promise<unknown> = send({ type: "taken", at: Date.now() });
    try {
      for await (const event of options.cells.runCell(dispatch.spec, { signal: attempt.controller.signal })) {
        if (lockLost) continue;
        if (event.type === "finished" && attempt.cutShort) {
          sent = send(toWireEvent(shutDownVerdict(event, attempt.cutShort)));
        } else {
          // Not awaited one by one: one connection keeps them in order.
          sent = send(toWireEvent(event));
        }
      }
      if (!lockLost) {
        await sent;
        await job.moveToCompleted("done", token, false);
      }
    } catch (error) {
      log.error({ err: error, attemptId: dispatch.attemptId }, "runner: a cell failed outside its verdict");
      if (!lockLost) {
        await send({ type: "finished", conclusion: "error", counts: emptyCounts(), durationMs: 0, testDurationMs: 0, error: { message: String(error) }, infrastructure: true }).catch(() => undefined);
        await job.moveToFailed(error instanceof Error ? error : new Error(String(error)), token, false).catch(() => undefined);
      }
    } finally {
      clearInterval(renew);
      running.delete(dispatch.attemptId);
      void beat().catch(() => undefined);
    }
  };

  const slot = async (): Promise<void> => {
    while (!stopping) {
      let taken: { job: Job; token: string } | undefined;
      if (options.accepting && !options.accepting()) {
        await idle();
        continue;
      }
      try {
        taken = await takeNext();
      } catch (error) {
        log.warn({ err: error }, "runner: cannot take cells (Redis away?); trying again");
      }
      if (taken) await runAttempt(taken.job, taken.token);
      else await idle();
    }
  };

  return {
    status,
    async start() {
      client = connect();
      subscriber = connect();
      subscriber.on("message", (channel: string, text: string) => {
        if (channel === names.cancelChannel) onCancel(text);
        else {
          wake.abort();
          wake = new AbortController();
        }
      });
      await subscriber.subscribe(names.cancelChannel, `${prefix}:cells-wake`);
      workers = queueNames.map((name) => {
        const worker = new Worker(name, undefined, { connection: connect(), prefix, lockDuration: lockMs, maxStalledCount: 0, stalledInterval: Math.max(500, Math.floor(lockMs / 2)), autorun: false });
        worker.on("error", (error) => log.debug({ err: error }, "runner: worker error"));
        void worker.startStalledCheckTimer().catch(() => undefined);
        return worker;
      });
      await beat();
      heartbeat = setInterval(() => void beat().catch(() => undefined), heartbeatMs);
      slots = Array.from({ length: Math.max(1, options.concurrency) }, () => slot());
      log.info({ id: options.id, queues: queueNames, concurrency: options.concurrency }, "runner: taking cells");
    },
    async stop({ graceMs = 30_000 } = {}) {
      if (stopping) return;
      stopping = true;
      wake.abort();
      void beat().catch(() => undefined);
      const all = Promise.all(slots);
      const timeout = (ms: number) => new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), ms).unref());
      if ((await Promise.race([all.then(() => "done" as const), timeout(graceMs)])) === "timeout") {
        for (const attempt of running.values()) {
          attempt.cutShort = `runner ${options.id} shut down while running this cell`;
          attempt.controller.abort(new InfrastructureError(attempt.cutShort));
        }
        await Promise.race([all, timeout(10_000)]);
      }
      clearInterval(heartbeat);
      for (const attempt of running.values()) clearInterval(attempt.renew);
      if (client) await settleWithin(client.del(names.runnerKey(options.id)), 1_000);
      for (const worker of workers) {
        await settleWithin(worker.close(true), 2_000);
        await settleWithin(worker.disconnect(), 1_000);
      }
      for (const connection of connections) await closeRedis(connection);
      log.info({ id: options.id }, "runner: stopped");
    },
  };
}

function safeUrl(url: string): string {
  try {
    return parseRepoUrl(url).display;
  } catch {
    return url.slice(0, 200);
  }
}

function shutDownVerdict(event: FinishedEvent, message: string): FinishedEvent {
  return { ...event, conclusion: "error", error: { message }, infrastructureError: new InfrastructureError(message) };
}


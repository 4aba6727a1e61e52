import type { Logger } from "../domain/logger.js";
import { exponentialBackoff, type Backoff } from "../queue/exponential-backoff.js";
import type { Clock } from "../domain/clock.js";
import type { StoreCore } from "../store/store-core.js";
import { classifyHttpFailure } from "./classify-http-failure.js";
import type { Outbox, SendResult, SendWrite } from "./outbox.js";
import { createOutboxRows, type DueWrite, type OutboxLane } from "./outbox-rows.js";

export interface OutboxOptions {
  /** The store whose database holds the outbox. The outbox never closes it. */
  store: StoreCore;
  /** Performs one write against the lane's target (GitHub unless `target` says otherwise). */
  send: SendWrite;
  log?: Logger;
  clock?: Clock;
  /** Delay before retry n when GitHub gave no `retry-after`. Default: exponential from 1 s to 5 min, jittered. */
  backoff?: Backoff;
  /** Tries of one write before it is marked failed. Default 30 (over two hours with the default backoff). */
  maxAttempts?: number;
  /** The keys this dispatcher sends (one dispatcher per lane and database). Default: every key. */
  lane?: OutboxLane;
  /** Sent, failed and superseded writes are kept this long (pruned at start). Default 7 days. */
  keepDoneMs?: number;
  /**
   * Whom this lane writes to, as its logs name it ("GitHub", "the forge",
   * "the notification's mail server or URL"): an operator reading "rejected"
   * must know where to look. Default "GitHub".
   */
  target?: string;
}

/**
 * The outbox (see `Outbox` for ordering, coalescing and delivery): writes
 * are rows of the store; one dispatcher loop sends them one at a time.
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const clock = options.clock ?? options.store.clock;
  const log = options.log ?? options.store.log;
  const backoff = options.backoff ?? exponentialBackoff({ baseMs: 1_000, maxMs: 5 * 60_000 });
  const maxAttempts = options.maxAttempts ?? 30;
  const rows = createOutboxRows(options.store, clock, options.lane);
  const target = options.target ?? "GitHub";

  let state: "new" | "running" | "stopped" = "new";
  let loop: Promise<void> | undefined;
  let wakeUp = new AbortController();
  const stopping = new AbortController();
  const drainers: { resolve: () => void; reject: (error: Error) => void }[] = [];

  const wake = (): void => wakeUp.abort();
  /** Waits for a wake-up, stop, or (when given) `ms` on the clock. */
  const idle = async (ms: number | undefined): Promise<void> => {
    const signal = AbortSignal.any([wakeUp.signal, stopping.signal]);
    if (ms === undefined) {
      await new Promise<void>((resolve) =>
        signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true }),
      );
    } else {
      await clock.sleep(ms, signal);
    }
    if (wakeUp.signal.aborted) wakeUp = new AbortController();
  };
  const settleDrainers = (): void => {
    if (drainers.length === 0 || rows.unsent() > 0) return;
    for (const drainer of drainers.splice(0)) drainer.resolve();
  };

  const sendOne = async (write: DueWrite): Promise<void> => {
    rows.markSending(write.id);
    const attempt = write.attempts + 1;
    let result: SendResult;
    try {
      const context = { created: rows.createdResponse(write.key), inDoubt: write.inDoubt };
      result = await options.send({ id: write.id, key: write.key, kind: write.kind, payload: write.payload, attempt }, context);
    } catch (error) {
      result = classifyHttpFailure(error, clock.now());
    }
    const where = { id: write.id, key: write.key, kind: write.kind, attempt, target };
    if (result.status === "sent") {
      rows.markSent(write.id, result.response);
      log.debug(where, "outbox: sent");
    } else if (result.status === "rejected") {
      rows.markFailed(write.id, result.reason);
      log.error({ ...where, reason: result.reason }, `outbox: ${target} rejected a write; it will not be retried`);
    } else if (attempt >= maxAttempts) {
      rows.markFailed(write.id, result.reason);
      log.error({ ...where, reason: result.reason }, `outbox: a write to ${target} kept failing; giving up`);
    } else {
      const delayMs = Math.max(0, result.retryAfterMs ?? backoff(attempt));
      rows.markRetry(write.id, result.reason, clock.now() + delayMs);
      log.warn({ ...where, reason: result.reason, delayMs }, `outbox: a write to ${target} failed; will retry`);
    }
  };

  const run = async (): Promise<void> => {
    while (state === "running") {
      try {
        const write = rows.nextDue();
        if (write) {
          await sendOne(write);
          settleDrainers();
          continue;
        }
        settleDrainers();
        const dueAt = rows.nextDueAt();
        await idle(dueAt === undefined ? undefined : Math.max(0, dueAt - clock.now()));
      } catch (error) {
        // The store failed (locked, disk full): the write stays where it was; try again soon.
        log.error({ err: error }, "outbox: could not read or record a write; trying again");
        await idle(backoff(1));
      }
    }
  };

  return {
    enqueue: (write) => {
      const id = rows.insert({
        key: write.key,
        kind: write.kind,
        payload: write.payload,
        coalesce: write.coalesce ?? write.kind === "progress",
      });
      wake();
      return id;
    },
    start: () => {
      if (state !== "new") throw new Error(`outbox: start() on a ${state} outbox`);
      state = "running";
      const resumed = rows.resetInFlight();
      if (resumed > 0) log.warn({ writes: resumed }, "outbox: resending writes that were in flight when the process stopped");
      rows.prune(options.keepDoneMs ?? 7 * 24 * 3_600_000);
      loop = run();
    },
    stop: async () => {
      if (state === "running") {
        state = "stopped";
        stopping.abort();
      }
      state = "stopped";
      await loop;
      for (const drainer of drainers.splice(0)) drainer.reject(new Error("outbox: stopped before it drained"));
    },
    drain: () => {
      if (state !== "running") return Promise.reject(new Error(`outbox: drain() needs a running outbox (it is ${state})`));
      return new Promise<void>((resolve, reject) => {
        drainers.push({ resolve, reject });
        wake();
      });
    },
    list: (key) => rows.list(key),
    backlog: () => rows.unsent(),
  };
}

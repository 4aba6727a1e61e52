import { lock } from "proper-lockfile";
import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { CheckoutError } from "../../../src/domain/checkout-error.js";

export interface FileLockOptions {
  signal?: AbortSignal;
  /** A lock not refreshed for this long is taken to be left by a dead holder. Default 30 s (at least 2 s). */
  staleMs?: number;
  /** How often a waiter looks again. Default 100 ms. */
  pollMs?: number;
  log?: Logger;
}

/** Releases a lock taken by `acquireFileLock`; safe to call twice. */
export type ReleaseLock = () => Promise<void>;

/**
 * Takes an exclusive lock between processes, also on other hosts sharing the
 * directory (proper-lockfile: an atomic `mkdir` of `path`, its mtime
 * refreshed while held), and waits while someone else holds it. A lock left
 * by a crashed process is broken once it is `staleMs` old. Waiting is a loop
 * of single tries so that `signal` can end it (proper-lockfile's own retries
 * cannot be aborted).
 * @throws CheckoutError `aborted` when the signal fires while waiting
 */
export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<ReleaseLock> {
  const stale = Math.max(2_000, options.staleMs ?? 30_000);
  const pollMs = options.pollMs ?? 100;
  const log = options.log ?? silentLogger;
  for (;;) {
    if (options.signal?.aborted) throw new CheckoutError("aborted", `gave up waiting for lock ${path}: aborted`, { cause: options.signal.reason });
    try {
      const release = await lock(path, {
        lockfilePath: path,
        realpath: false,
        stale,
        retries: 0,
        // Someone broke our lock (we stalled past `stale`): say so; the work under it goes on, as git's own locks still guard the mirror.
        onCompromised: (error) => log.warn({ err: error, path }, "a lock was taken over while held (a mirror's, or the environment store's)"),
      });
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await release().catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
    }
    await sleep(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

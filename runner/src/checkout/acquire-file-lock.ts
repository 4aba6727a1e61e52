import { open, readFile, rename, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { CheckoutError } from "./checkout-error.js";

export interface FileLockOptions {
  signal?: AbortSignal;
  /** A lock file untouched this long is taken to be left by a dead holder. Default 10 min. */
  staleMs?: number;
  /** How often a waiter looks again. Default 100 ms. */
  pollMs?: number;
}

/** Releases a lock taken by `acquireFileLock`; safe to call twice. */
export type ReleaseLock = () => Promise<void>;

interface Holder {
  pid: number;
  host: string;
}

/**
 * Takes an exclusive lock between processes by creating `path` with O_EXCL, and
 * waits (polling) while someone else holds it. The holder's pid and host are
 * written in the file and its mtime is refreshed while held, so a lock left by a
 * crashed process is broken: at once if its pid is gone on this host, after
 * `staleMs` otherwise (another host sharing the cache over NFS).
 * @throws CheckoutError `aborted` when the signal fires while waiting
 */
export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<ReleaseLock> {
  const staleMs = options.staleMs ?? 10 * 60_000;
  const pollMs = options.pollMs ?? 100;
  for (;;) {
    if (options.signal?.aborted) throw new CheckoutError("aborted", `gave up waiting for lock ${path}: aborted`, { cause: options.signal.reason });
    try {
      const handle = await open(path, "wx");
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname() } satisfies Holder));
      } finally {
        await handle.close();
      }
      return holdLock(path, staleMs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await isAbandoned(path, staleMs)) {
      // Rename first, so only one of several waiters breaks this particular lock.
      const grave = `${path}.stale-${process.pid}-${Date.now()}`;
      await rename(path, grave).then(() => unlink(grave), () => undefined);
      continue;
    }
    await sleep(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

function holdLock(path: string, staleMs: number): ReleaseLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    void utimes(path, now, now).catch(() => undefined);
  }, Math.max(1000, Math.floor(staleMs / 4)));
  heartbeat.unref();
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    await unlink(path).catch(() => undefined);
  };
}

async function isAbandoned(path: string, staleMs: number): Promise<boolean> {
  try {
    const [info, text] = await Promise.all([stat(path), readFile(path, "utf8")]);
    if (Date.now() - info.mtimeMs > staleMs) return true;
    const holder = parseHolder(text);
    return holder !== undefined && holder.host === hostname() && !isAlive(holder.pid);
  } catch {
    return false; // gone already, or half-written: look again next round
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    return typeof value.pid === "number" && typeof value.host === "string" ? { pid: value.pid, host: value.host } : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

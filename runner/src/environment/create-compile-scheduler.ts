import type Docker from "dockerode";
import { join } from "node:path";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { CancelledError } from "../../../src/domain/errors.js";
import { report, type EnvironmentMetrics } from "../../../src/domain/environment-metrics.js";
import { compileEnvironment } from "./build-environment-dir.js";
import { readEnvironment, writeRecord, type EnvironmentRecord } from "./environment-record.js";
import type { BuildContainerLimits } from "./run-build-container.js";

/** A deferred byte-compile waits at most this long for its cells to settle. */
export const SETTLE_TIMEOUT_MS = 60_000;

/** An environment to byte-compile: where it is, the image to compile it with, and its record (rewritten with `compiled: true`). */
export interface CompileTarget {
  key: string;
  envDir: string;
  baseImage: string;
  record: EnvironmentRecord;
}

export interface CompileScheduler {
  /** Byte-compile `target` in the background once quiet (see quietNow); once per key at a time. */
  later(target: CompileTarget): void;
  /** A cell now holds environment `key` (until settle). */
  hold(key: string): void;
  /** The cell that held `key` is done with it; starts deferred compiles when quiet. */
  settle(key: string): void;
  /** Start deferred compiles if no build runs and no cell holds an environment. */
  quietNow(): void;
  /** Resolves when no compile is pending or running (pending ones start now). */
  idle(): Promise<void>;
  /** Drop pending compiles, kill running ones; resolves when nothing runs. */
  close(): Promise<void>;
}

/**
 * The background byte-compile of uv environments (the last phase of a
 * build, off the cell's critical path). Deferred compiles start when the
 * builder is quiet: no build running (`building()`) and no cell holding any
 * of its environments. A compile writes thousands of files and takes what
 * CPU is left, which slows other builds' unpacking and cells' tests; on a
 * host that is never quiet, SETTLE_TIMEOUT_MS starts them anyway. A failure
 * is logged and costs only speed: the next ensure() tries again.
 */
export function createCompileScheduler(options: {
  docker: Docker;
  limits: BuildContainerLimits;
  /** Whether a build is under way (a compile waits for it). */
  building: () => boolean;
  metrics?: EnvironmentMetrics;
  log?: Logger;
}): CompileScheduler {
  const log = options.log ?? silentLogger;
  const compiling = new Map<string, Promise<void>>();
  const serial = createSerialQueue();
  /** Aborted by close(): no compile starts after it, a running one is killed. */
  const closing = new AbortController();
  /** Compiles waiting for their cells to settle: calling one starts it. */
  const deferred = new Map<string, () => void>();
  /** Cells holding each environment (ensure() handed it out, settle() not yet called). */
  const users = new Map<string, number>();

  const startDeferred = () => {
    for (const start of [...deferred.values()]) start();
  };
  const idle = async () => {
    startDeferred();
    while (compiling.size > 0) await Promise.allSettled([...compiling.values()]);
  };
  const scheduler: CompileScheduler = {
    later(target) {
      if (compiling.has(target.key) || deferred.has(target.key)) return;
      let start!: () => void;
      const started = new Promise<void>((resolve) => (start = resolve));
      const timer = setTimeout(start, SETTLE_TIMEOUT_MS);
      timer.unref();
      deferred.set(target.key, start);
      const job = started.then(() => {
        clearTimeout(timer);
        deferred.delete(target.key);
        // One at a time: each already uses every core (compileall -j 0).
        if (!closing.signal.aborted) return serial.run(() => compileNow(target));
      });
      compiling.set(target.key, job.finally(() => compiling.delete(target.key)));
    },
    hold(key) {
      users.set(key, (users.get(key) ?? 0) + 1);
    },
    settle(key) {
      const left = (users.get(key) ?? 1) - 1;
      if (left > 0) users.set(key, left);
      else users.delete(key);
      scheduler.quietNow();
    },
    quietNow() {
      if (!options.building() && users.size === 0) startDeferred();
    },
    idle,
    async close() {
      closing.abort();
      await idle();
    },
  };
  return scheduler;

  async function compileNow(target: CompileTarget): Promise<void> {
    const t0 = Date.now();
    // Gone meanwhile (collected)? Then there is nothing to compile, and a bind mount would make an empty venv.
    if (!(await readEnvironment(target.envDir))) return;
    return compileEnvironment(options.docker, { baseImage: target.baseImage, venvDir: join(target.envDir, "venv"), key: target.key, limits: options.limits, signal: closing.signal })
      .then(async () => {
        if (!(await readEnvironment(target.envDir))) return;
        await writeRecord(target.envDir, { ...target.record, compiled: true });
        report(options.metrics, "phase", { phase: "compile", resolver: target.record.resolver, seconds: (Date.now() - t0) / 1000 });
        log.info({ key: target.key, ms: Date.now() - t0 }, "byte-compiled environment");
      })
      .catch((error: unknown) => {
        if (error instanceof CancelledError) return; // close(): the next process compiles it
        log.warn({ err: error, key: target.key }, "byte-compiling an environment failed; it runs uncompiled until the next try");
      });
  }
}

/** Runs tasks one at a time, in the order given; a failed task does not stop the next. */
function createSerialQueue(): { run<T>(task: () => Promise<T>): Promise<T> } {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(task) {
      const result = tail.then(task, task);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

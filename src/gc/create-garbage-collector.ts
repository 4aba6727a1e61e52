import type Docker from "dockerode";
import { collectGarbage, type GcReport } from "../../runner/src/gc/collect-garbage.js";
import { createRunnerSources } from "../../runner/src/gc/create-runner-sources.js";
import type { GcSource } from "../../runner/src/gc/gc-item.js";
import type { Logger } from "../domain/logger.js";
import type { Store } from "../store/store.js";
import { createStoreSources } from "./create-store-sources.js";

export interface GarbageCollectorOptions {
  docker: Docker;
  /** The server's store (job logs, deliveries); a `ponyci runner` host has none. */
  store?: Store;
  dataDir: string;
  budgetBytes: number;
  log: Logger;
  /** Default: the runner's data directory and the store; tests narrow the images to their own. */
  sources?: GcSource[];
  graceMs?: number;
  now?: () => number;
}

export interface GarbageCollector {
  /** One collection now; concurrent calls share the one in progress. Never throws (problems are in the report). */
  collect(options?: { dryRun?: boolean }): Promise<GcReport>;
  /**
   * Collect every `intervalMs` and soon after `poke()` (a build finished),
   * at most one collection at a time. Returns a stop function.
   */
  start(options?: { intervalMs?: number; afterPokeMs?: number }): () => void;
  /** Something was built: collect within `afterPokeMs`. */
  poke(): void;
}

/** Wires collectGarbage to the data directory (and the store, on a server or the CLI) of this host. */
export function createGarbageCollector(options: GarbageCollectorOptions): GarbageCollector {
  const sources = options.sources ?? [...createRunnerSources({ docker: options.docker, dataDir: options.dataDir, toolchainImages: true }), ...(options.store ? createStoreSources(options.store) : [])];
  let running: Promise<GcReport> | undefined;
  let pokeTimer: NodeJS.Timeout | undefined;
  let afterPokeMs = 30_000;
  let started = false;
  const collect = (dryRun = false): Promise<GcReport> => {
    if (running && !dryRun) return running;
    const run = collectGarbage({ sources, budgetBytes: options.budgetBytes, dryRun, graceMs: options.graceMs, now: options.now, log: options.log });
    if (dryRun) return run;
    running = run.finally(() => (running = undefined));
    return running;
  };
  const background = () =>
    void collect().then((report) => {
      for (const error of report.errors) options.log.warn({ error }, "garbage collection");
      if (report.overBudget) options.log.warn({ totalBytes: report.afterBytes, budgetBytes: report.budgetBytes }, "over the disk budget: what is left is in use");
    });
  return {
    collect: (o = {}) => collect(o.dryRun ?? false),
    start({ intervalMs = 10 * 60 * 1000, afterPokeMs: after = 30_000 } = {}) {
      afterPokeMs = after;
      started = true;
      const timer = setInterval(background, intervalMs);
      timer.unref();
      return () => {
        started = false;
        clearInterval(timer);
        if (pokeTimer) clearTimeout(pokeTimer);
        pokeTimer = undefined;
      };
    },
    poke() {
      if (!started || pokeTimer) return;
      pokeTimer = setTimeout(() => {
        pokeTimer = undefined;
        background();
      }, afterPokeMs);
      pokeTimer.unref();
    },
  };
}

import type Docker from "dockerode";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";

/**
 * What benchmarks share and clean up: one scratch data directory (git
 * mirrors, wheel cache, environments, job workspaces), removed at the end.
 */
export interface BenchContext {
  docker: Docker;
  /** PONYCI_DATA_DIR for runners made by the benchmarks; removed at the end. */
  dataDir: string;
}

/** Label put on bare `docker run` containers, so a crash leaves findable leftovers. */
export const LABEL_BENCH = "org.ponyci.bench";

/** A fresh context: a temporary data directory. */
export async function createBenchContext(): Promise<BenchContext> {
  return { docker: createDocker(), dataDir: await mkdtemp(path.join(tmpdir(), "ponyci-bench-")) };
}

/**
 * Remove what the context created: bare-run containers and the data
 * directory (with every environment built in it). Never throws: cleanup
 * problems are printed.
 */
export async function disposeBenchContext(context: BenchContext): Promise<void> {
  const leftovers = await context.docker.listContainers({ all: true, filters: { label: [LABEL_BENCH] } }).catch(() => []);
  for (const info of leftovers) await context.docker.getContainer(info.Id).remove({ force: true }).catch(() => undefined);
  await rm(context.dataDir, { recursive: true, force: true }).catch((error: unknown) => console.warn(`bench: could not remove ${context.dataDir}: ${String(error)}`));
}

/** Run `fn` in `given` (owned by the caller), or in a context made and disposed of here. */
export async function withBenchContext<T>(given: BenchContext | undefined, fn: (context: BenchContext) => Promise<T>): Promise<T> {
  if (given) return fn(given);
  const context = await createBenchContext();
  try {
    return await fn(context);
  } finally {
    await disposeBenchContext(context);
  }
}

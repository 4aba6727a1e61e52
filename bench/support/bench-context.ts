import type Docker from "dockerode";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { ENV_IMAGE_REPO } from "../../runner/src/environment/environment.js";

/**
 * What benchmarks share and clean up: one scratch data directory (git
 * mirrors, wheel cache, job workspaces) and the environment images they
 * caused to be built. Images that existed before the run are left alone.
 */
export interface BenchContext {
  docker: Docker;
  /** PONYCI_DATA_DIR for runners made by the benchmarks; removed at the end. */
  dataDir: string;
  /** Record an image a benchmark ran on: removed at the end unless it existed before. */
  adoptImage(image: string): void;
  /** Images this run caused to exist so far. */
  createdImages(): string[];
}

/** Label put on bare `docker run` containers, so a crash leaves findable leftovers. */
export const LABEL_BENCH = "org.ponyci.bench";

/** A fresh context: a temporary data directory and a snapshot of the environment images present now. */
export async function createBenchContext(): Promise<BenchContext> {
  const docker = createDocker();
  const dataDir = await mkdtemp(path.join(tmpdir(), "ponyci-bench-"));
  const before = new Set<string>();
  for (const image of await docker.listImages({ filters: { reference: [ENV_IMAGE_REPO] } })) {
    for (const tag of image.RepoTags ?? []) before.add(tag);
  }
  const created = new Set<string>();
  return {
    docker,
    dataDir,
    adoptImage(image) {
      if (!before.has(image)) created.add(image);
    },
    createdImages: () => [...created],
  };
}

/**
 * Remove what the context created: bare-run containers, environment images
 * (PONYCI_BENCH_KEEP_IMAGES=1 keeps them for a faster next run), the data
 * directory. Never throws: cleanup problems are printed.
 */
export async function disposeBenchContext(context: BenchContext): Promise<void> {
  const leftovers = await context.docker.listContainers({ all: true, filters: { label: [LABEL_BENCH] } }).catch(() => []);
  for (const info of leftovers) await context.docker.getContainer(info.Id).remove({ force: true }).catch(() => undefined);
  if (process.env.PONYCI_BENCH_KEEP_IMAGES !== "1") {
    for (const image of context.createdImages()) {
      // No force: an image another process is running stays.
      await context.docker.getImage(image).remove().catch((error: unknown) => console.warn(`bench: could not remove ${image}: ${String(error)}`));
    }
  }
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

import type Docker from "dockerode";
import { lstat, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { BUILD_PREFIX, environmentStore } from "../environment/build-environment-dir.js";
import type { GcItem, GcSource } from "./gc-item.js";
import { readUse } from "./record-use.js";

/** A build directory older than this with no container using it is a crashed build's. */
export const STALE_BUILD_MS = 60 * 60 * 1000;

export interface EnvironmentSourceOptions {
  docker: Docker;
  /** The environment builder's cache directory (its `store/` is listed). */
  cacheDir: string;
  /** Where use marks live, one per environment key (recordUse(usedDir, key)). */
  usedDir: string;
  /** Now (epoch ms), for tests. */
  now?: number;
}

/**
 * The environment store (runner/src/environment/build-environment-dir.ts):
 * - each environment `envs/<key>`: last use its use mark, or when it was
 *   built; in use while any container mounts it (a test container, its
 *   background byte-compile); bytes: what removing it frees (its files that
 *   are not hard links into `unpacked/`, and its directories);
 * - a crashed build's `envs/.build-*`: garbage once older than an hour and
 *   unused;
 * - `unpacked/`, uv's cache of unpacked wheels, as one item: what only it
 *   holds (files no environment links); in use while a build container has
 *   the store mounted. Removing it costs the next build an unpack, never an
 *   environment its files (the links keep them).
 */
export function createEnvironmentSource(options: EnvironmentSourceOptions): GcSource {
  const store = environmentStore(options.cacheDir);
  return {
    kind: "environment",
    async list() {
      const containers = await options.docker.listContainers({ all: true });
      const mounted = containers.flatMap((c) => (c.Mounts ?? []).map((m) => m.Source ?? ""));
      const mounts = (dir: string) => mounted.some((source) => source === dir || source.startsWith(`${dir}/`));
      // A uv build mounts the whole store (and nothing else mounts it whole).
      const storeMounted = mounted.includes(store.root);
      const items: GcItem[] = [];
      const names = await readdir(store.envs).catch(() => [] as string[]);
      for (const name of names) {
        const dir = join(store.envs, name);
        const st = await stat(dir).catch(() => undefined);
        if (!st?.isDirectory()) continue;
        if (name.startsWith(BUILD_PREFIX)) {
          const inUse = mounts(dir) || storeMounted;
          items.push({ kind: "environment", id: dir, bytes: await unsharedBytes(dir), lastUsedMs: st.mtimeMs, inUse, garbage: !inUse && (options.now ?? Date.now()) - st.mtimeMs > STALE_BUILD_MS, remove: () => rm(dir, { recursive: true, force: true }) });
          continue;
        }
        if (!/^[0-9a-f]{64}$/.test(name)) continue;
        const built = await stat(join(dir, "env.json")).then((s) => s.mtimeMs, () => st.mtimeMs);
        items.push({
          kind: "environment",
          id: name,
          bytes: await unsharedBytes(dir),
          lastUsedMs: (await readUse(options.usedDir, name)) || built,
          inUse: mounts(dir),
          remove: async () => {
            await rm(dir, { recursive: true, force: true });
            await rm(join(options.usedDir, name), { force: true });
          },
        });
      }
      const unpacked = await stat(store.unpacked).catch(() => undefined);
      if (unpacked?.isDirectory()) {
        items.push({
          kind: "environment",
          id: store.unpacked,
          bytes: await unsharedBytes(store.unpacked),
          lastUsedMs: Math.max(unpacked.mtimeMs, ...items.filter((i) => !i.garbage).map((i) => i.lastUsedMs)),
          inUse: storeMounted,
          remove: () => rm(store.unpacked, { recursive: true, force: true }),
        });
      }
      return items;
    },
  };
}

/**
 * Allocated bytes of a tree that removing it frees: directories, and files
 * with no other hard link (links shared between an environment and the
 * unpacked wheels free nothing until the last goes). Symbolic links are not
 * followed.
 */
async function unsharedBytes(path: string): Promise<number> {
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p).catch(() => undefined);
    if (!st) return;
    if (st.isDirectory()) {
      total += st.blocks * 512;
      for (const name of await readdir(p).catch(() => [] as string[])) await walk(join(p, name));
    } else if (st.nlink <= 1) {
      total += st.blocks * 512;
    }
  };
  await walk(path);
  return total;
}

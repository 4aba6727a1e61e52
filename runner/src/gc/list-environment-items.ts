import type Docker from "dockerode";
import { lstat, readdir, realpath, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { BUILD_PREFIX, environmentStore } from "../environment/build-environment-dir.js";
import type { GcItem, GcSource } from "../../../src/domain/gc-item.js";
import { readUse } from "./record-use.js";

/** A build directory older than this with no container using it is a crashed build's. */
const STALE_BUILD_MS = 60 * 60 * 1000;

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
 *   background byte-compile); bytes: its directories and the files only it
 *   links (see attributeBytes);
 * - a crashed build's `envs/.build-*`: garbage once older than an hour and
 *   unused;
 * - `unpacked/`, uv's cache of unpacked wheels, as one item: its own files
 *   and those it shares with environments; in use while a build container
 *   has the store mounted. Removing it costs the next build an unpack, never an
 *   environment its files (the links keep them).
 */
export function createEnvironmentSource(options: EnvironmentSourceOptions): GcSource {
  const store = environmentStore(options.cacheDir);
  return {
    kind: "environment",
    async list() {
      const containers = await options.docker.listContainers({ all: true });
      const real = async (p: string) => realpath(p).catch(() => p);
      const mounted = await Promise.all(containers.flatMap((c) => (c.Mounts ?? []).map((m) => real(m.Source ?? ""))));
      const root = await real(store.root);
      const mounts = async (dir: string) => {
        const target = await real(dir);
        return mounted.some((source) => source === target || source.startsWith(`${target}/`));
      };
      // A uv build mounts the whole store (and nothing else mounts it whole).
      const storeMounted = mounted.includes(root);
      const found: Array<{ dir: string; item: Omit<GcItem, "bytes"> }> = [];
      const names = await readdir(store.envs).catch(() => [] as string[]);
      for (const name of names) {
        const dir = join(store.envs, name);
        const st = await lstat(dir).catch(() => undefined);
        if (!st?.isDirectory()) continue;
        if (name.startsWith(BUILD_PREFIX)) {
          const inUse = (await mounts(dir)) || storeMounted;
          found.push({ dir, item: { kind: "environment", id: dir, lastUsedMs: st.mtimeMs, inUse, garbage: !inUse && (options.now ?? Date.now()) - st.mtimeMs > STALE_BUILD_MS, remove: () => rm(dir, { recursive: true, force: true }) } });
          continue;
        }
        if (!/^[0-9a-f]{64}$/.test(name)) continue;
        const built = await stat(join(dir, "env.json")).then((s) => s.mtimeMs, () => st.mtimeMs);
        found.push({
          dir,
          item: {
            kind: "environment",
            id: name,
            lastUsedMs: (await readUse(options.usedDir, name)) || built,
            inUse: await mounts(dir),
            remove: async () => {
              await rm(dir, { recursive: true, force: true });
              await rm(join(options.usedDir, name), { force: true });
            },
          },
        });
      }
      const unpacked = await lstat(store.unpacked).catch(() => undefined);
      if (unpacked?.isDirectory()) {
        found.push({
          dir: store.unpacked,
          item: {
            kind: "environment",
            id: store.unpacked,
            lastUsedMs: Math.max(unpacked.mtimeMs, ...found.filter((f) => !f.item.garbage).map((f) => f.item.lastUsedMs)),
            inUse: storeMounted,
            remove: () => rm(store.unpacked, { recursive: true, force: true }),
          },
        });
      }
      const bytes = await attributeBytes(found.map((f) => f.dir), store.unpacked);
      return found.map((f) => ({ ...f.item, bytes: bytes.get(f.dir) ?? 0 }));
    },
  };
}

/**
 * Allocated bytes per tree, each inode counted once across all of them (like
 * `du` over the store), so the budget sees everything the store holds:
 * an inode whose links are all in one tree is that tree's (a venv's own
 * files, however many links it made to them); one linked from several
 * trees (an environment's file and its unpacked wheel) is `shared`'s, the
 * unpacked wheels', whose removal together with the environments frees it.
 * Symbolic links are not followed.
 */
async function attributeBytes(trees: string[], shared: string): Promise<Map<string, number>> {
  const inodes = new Map<string, { blocks: number; trees: Set<string> }>();
  const bytes = new Map<string, number>(trees.map((t) => [t, 0]));
  const walk = async (tree: string, p: string): Promise<void> => {
    const st = await lstat(p).catch(() => undefined);
    if (!st) return;
    if (st.isDirectory()) {
      bytes.set(tree, (bytes.get(tree) ?? 0) + st.blocks * 512);
      for (const name of await readdir(p).catch(() => [] as string[])) await walk(tree, join(p, name));
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    const inode = inodes.get(key) ?? { blocks: st.blocks * 512, trees: new Set<string>() };
    inode.trees.add(tree);
    inodes.set(key, inode);
  };
  for (const tree of trees) await walk(tree, tree);
  for (const inode of inodes.values()) {
    const owner = inode.trees.size === 1 ? [...inode.trees][0]! : bytes.has(shared) ? shared : [...inode.trees][0]!;
    bytes.set(owner, (bytes.get(owner) ?? 0) + inode.blocks);
  }
  return bytes;
}

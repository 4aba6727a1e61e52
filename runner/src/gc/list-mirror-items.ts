import { readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { lock } from "proper-lockfile";
import type { GcItem, GcSource } from "../../../src/domain/gc-item.js";
import { listJobDirs, type ListJobDirsOptions } from "./list-job-dirs.js";
import { measureTree } from "./measure-tree.js";
import { readUse } from "./record-use.js";
import { readUntrustedFile } from "../../../src/util/read-untrusted-file.js";

export interface MirrorSourceOptions extends ListJobDirsOptions {
  /** The checkout cache directory (holds `mirrors/`). */
  gitDir: string;
  /** Job directories: a running job's workspace borrows its mirror's objects. */
  workDir: string;
  /** Use marks, one per mirror directory name. */
  usedDir: string;
}

/**
 * Bare mirrors of repositories. Last use: the latest of the mirror's own
 * mtime, its FETCH_HEAD and its use mark (a warm checkout touches neither
 * directory, so the checkout records a mark). In use: its lock is held, or
 * a live job's workspace borrows its objects (git alternates). Removing
 * takes the mirror's lock (without waiting: a checkout that holds it keeps
 * the mirror), so no clone or fetch runs meanwhile.
 */
export function createMirrorSource(options: MirrorSourceOptions): GcSource {
  const mirrorsDir = join(options.gitDir, "mirrors");
  return {
    kind: "mirror",
    async list() {
      const names = (await readdir(mirrorsDir).catch(() => [] as string[])).filter((n) => n.endsWith(".git"));
      if (names.length === 0) return [];
      const borrowed = await borrowedObjectDirs(options);
      const items: GcItem[] = [];
      for (const name of names) {
        const path = join(mirrorsDir, name);
        const st = await stat(path).catch(() => undefined);
        if (!st?.isDirectory()) continue;
        const fetched = await stat(join(path, "FETCH_HEAD")).then((s) => s.mtimeMs, () => 0);
        const locked = await stat(`${path}.lock`).then(() => true, () => false);
        items.push({
          kind: "mirror",
          id: path,
          bytes: await measureTree(path),
          lastUsedMs: Math.max(st.mtimeMs, fetched, await readUse(options.usedDir, name)),
          inUse: locked || borrowed.has(resolve(path, "objects")),
          remove: () => removeMirror(path),
        });
      }
      return items;
    },
  };
}

async function removeMirror(path: string): Promise<void> {
  // ELOCKED (a checkout holds it) is thrown: the collector reports the mirror as kept.
  const release = await lock(path, { lockfilePath: `${path}.lock`, realpath: false, retries: 0, stale: 30_000 });
  try {
    // Renamed first would be nicer, but rm of a bare repository under its lock is enough: checkouts wait for the lock.
    await rm(path, { recursive: true, force: true });
  } finally {
    await release().catch(() => undefined);
  }
}

/** Object directories that the workspaces of live jobs borrow (from their alternates files). */
async function borrowedObjectDirs(options: MirrorSourceOptions): Promise<Set<string>> {
  const dirs = new Set<string>();
  for (const job of await listJobDirs(options.workDir, options)) {
    if (!job.live) continue;
    const trees = await readdir(job.path).catch(() => [] as string[]);
    for (const tree of trees) {
      // The workspace is the test user's: the file may be a FIFO, a symlink or huge (readUntrustedFile).
      // Only the first lines are ours (git clone --shared writes one).
      const alternates = (await readUntrustedFile(join(job.path, tree, ".git", "objects", "info", "alternates"), { maxBytes: 64 * 1024 })) ?? "";
      for (const line of alternates.split("\n").slice(0, 16)) {
        if (line.trim()) dirs.add(resolve(job.path, tree, ".git", "objects", line.trim()));
      }
    }
  }
  return dirs;
}


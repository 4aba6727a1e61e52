import { rm } from "node:fs/promises";
import type { GcItem, GcSource } from "../../../src/domain/gc-item.js";
import { listJobDirs, type ListJobDirsOptions } from "./list-job-dirs.js";
import { measureTree } from "./measure-tree.js";

/**
 * Job directories (workspaces, events files) left by crashed jobs: garbage
 * whatever the budget. Directories of running jobs are listed as in use, so
 * their bytes count against the budget but they are never removed.
 */
export function createWorkspaceSource(options: { workDir: string } & ListJobDirsOptions): GcSource {
  return {
    kind: "workspace",
    async list() {
      const items: GcItem[] = [];
      for (const dir of await listJobDirs(options.workDir, options)) {
        items.push({
          kind: "workspace",
          id: dir.path,
          bytes: await measureTree(dir.path),
          lastUsedMs: dir.mtimeMs,
          inUse: dir.live,
          garbage: !dir.live,
          remove: () => rm(dir.path, { recursive: true, force: true }),
        });
      }
      return items;
    },
  };
}

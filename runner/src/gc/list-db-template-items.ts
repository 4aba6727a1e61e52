import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { GcItem, GcSource } from "../../../src/domain/gc-item.js";
import { TEMPLATE_FILE } from "../db-template/create-db-template-store.js";
import { scanLeases } from "../db-template/template-leases.js";

export interface DbTemplateSourceOptions {
  /** The template store's directory (`<workDir>/db-templates`). */
  dir: string;
  isAlive?: (pid: number) => boolean;
  now?: number;
}

/** A `.partial` file with no live lease is a capture its process did not finish: garbage after this long. */
const PARTIAL_GRACE_MS = 60 * 60 * 1000;

/**
 * The migrated test databases kept for the next cells (issue 28,
 * runner/src/db-template): one item per kept template (its size, its last
 * use: the store touches a template each time a cell loads it), in use
 * while a cell holds a lease on it (copying it in, or writing it); captures
 * left half-written and leases of dead processes are garbage. Removing a
 * template costs the next cell with its key one migration.
 */
export function createDbTemplateSource(options: DbTemplateSourceOptions): GcSource {
  return {
    kind: "db-template",
    async list() {
      const now = options.now ?? Date.now();
      let names: string[];
      try {
        names = await readdir(options.dir);
      } catch {
        return [];
      }
      const leases = await scanLeases(options.dir, { ...(options.isAlive ? { isAlive: options.isAlive } : {}), now });
      const items: GcItem[] = [];
      for (const name of names) {
        const partial = /^(.+)\.[0-9a-f]{8}\.partial$/.exec(name)?.[1];
        if (!TEMPLATE_FILE.test(name) && !(partial && TEMPLATE_FILE.test(partial))) continue;
        const file = join(options.dir, name);
        const st = await stat(file).catch(() => undefined);
        if (!st?.isFile()) continue;
        const inUse = leases.live.has(partial ?? name);
        items.push({
          kind: "db-template",
          id: name,
          bytes: st.blocks * 512,
          lastUsedMs: st.mtimeMs,
          inUse,
          ...(partial && !inUse && now - st.mtimeMs > PARTIAL_GRACE_MS ? { garbage: true } : {}),
          remove: () => rm(file, { force: true }),
        });
      }
      for (const lease of leases.stale) {
        items.push({ kind: "db-template", id: `leases/${lease.slice(lease.lastIndexOf("/") + 1)}`, bytes: 0, lastUsedMs: 0, inUse: false, garbage: true, remove: () => rm(lease, { force: true }) });
      }
      return items;
    },
  };
}

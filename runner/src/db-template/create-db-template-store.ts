import { randomUUID } from "node:crypto";
import { mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import path from "node:path";
import type { TemplateEngine } from "./db-template-key.js";
import { scanLeases, takeLease } from "./template-leases.js";

/**
 * Migrated test databases kept on a runner host, one file per key: a
 * PostgreSQL custom-format dump, a MariaDB/MySQL SQL dump or an SQLite
 * database file. The files were
 * produced inside containers, so they are hostile data: the host only copies
 * them, and they are only ever loaded into the next cell's own private
 * database server (or its own SQLite file), never parsed here.
 */
export interface DbTemplateStore {
  /**
   * The kept file for `key`, or undefined (marked used: the least recently
   * used go first), leased until `release` (the garbage collector leaves it alone).
   */
  find(key: string, engine: TemplateEngine): Promise<KeptTemplate | undefined>;
  /** Keep what `write` puts at the temporary path it is given: whole (one rename) or not at all; leased meanwhile. */
  keep(key: string, engine: TemplateEngine, write: (tmpPath: string) => Promise<void>): Promise<string>;
}

export interface KeptTemplate {
  path: string;
  release(): Promise<void>;
}

export interface DbTemplateStoreOptions {
  dir: string;
  /** Templates kept at most (default 64); the least recently used are removed past it. */
  maxTemplates?: number;
}

const EXTENSIONS: Record<TemplateEngine, string> = { postgresql: "pgdump", mysql: "sql", sqlite: "sqlite3" };
/** A kept template's file name: `<key>.<extension>`. */
export const TEMPLATE_FILE = /^[0-9a-f]{64}\.(pgdump|sql|sqlite3)$/;

export function createDbTemplateStore(options: DbTemplateStoreOptions): DbTemplateStore {
  const maxTemplates = options.maxTemplates ?? 64;
  const fileOf = (key: string, engine: TemplateEngine) => {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a template key: ${key.slice(0, 80)}`);
    return path.join(options.dir, `${key}.${EXTENSIONS[engine]}`);
  };

  async function prune(): Promise<void> {
    const names = (await readdir(options.dir)).filter((name) => TEMPLATE_FILE.test(name));
    if (names.length <= maxTemplates) return;
    const { live } = await scanLeases(options.dir);
    const dated = await Promise.all(names.filter((name) => !live.has(name)).map(async (name) => ({ name, at: (await stat(path.join(options.dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
    dated.sort((a, b) => a.at - b.at);
    for (const { name } of dated.slice(0, Math.max(0, names.length - maxTemplates))) await rm(path.join(options.dir, name), { force: true });
  }

  return {
    async find(key, engine) {
      const file = fileOf(key, engine);
      if (!(await stat(file).catch(() => undefined))?.isFile()) return undefined;
      const release = await takeLease(options.dir, path.basename(file));
      // Checked again under the lease: a collector may have removed it in between.
      if (!(await stat(file).catch(() => undefined))?.isFile()) {
        await release();
        return undefined;
      }
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined);
      return { path: file, release };
    },
    async keep(key, engine, write) {
      const file = fileOf(key, engine);
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${randomUUID().slice(0, 8)}.partial`;
      const release = await takeLease(options.dir, path.basename(file));
      try {
        await write(tmp);
        await rename(tmp, file);
      } finally {
        await rm(tmp, { force: true }).catch(() => undefined);
        await release();
      }
      await prune().catch(() => undefined);
      return file;
    },
  };
}

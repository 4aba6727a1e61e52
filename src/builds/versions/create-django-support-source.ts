import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../util/write-file-atomic.js";
import type { Logger } from "../../domain/logger.js";
import { parseDjangoSupport, serializeDjangoSupport, shippedDjangoSupport, type DjangoSupportTable } from "./django-support.js";
import { readDjangoSupportFromIndex, type DjangoIndexReader } from "./read-django-support-from-index.js";

/** Where the planner gets Django's support table. */
export interface DjangoSupportSource {
  /**
   * The table to plan with: the operator's file when set; else the cached
   * one while it is fresh; else a refresh from the index (one at a time),
   * waited for at most `waitMs`; when the index does not answer in time,
   * the stale cache, else the shipped snapshot. Rejects only when the
   * operator's file cannot be read.
   */
  get(): Promise<DjangoSupportTable>;
}

export interface DjangoSupportSourceOptions {
  /** The cache file (in the data directory). */
  cacheFile: string;
  /** Age after which the index is read again (PONYCI_DJANGO_SUPPORT_REFRESH). */
  refreshMs: number;
  /** The operator's own table (PONYCI_DJANGO_SUPPORT): used as it is, the index never read. */
  overrideFile?: string;
  /** The index; undefined: never read (the snapshot, or the cache a server left). */
  reader?: DjangoIndexReader;
  /** Longest a planning waits for the index before it plans with what it has; default 15 s. */
  waitMs?: number;
  /** After a failed refresh, the index is not asked again for this long; default 5 min. */
  retryMs?: number;
  log?: Logger;
  now?: () => Date;
}

/** Default refresh interval: Django ships patch releases monthly, Pythons yearly; six hours is prompt enough. */
export const DEFAULT_DJANGO_SUPPORT_REFRESH_MS = 6 * 3600 * 1000;

/** Create the planner's source of Django's support table (see DjangoSupportSource.get for the order). */
export function createDjangoSupportSource(options: DjangoSupportSourceOptions): DjangoSupportSource {
  const now = options.now ?? (() => new Date());
  const waitMs = options.waitMs ?? 15_000;
  const retryMs = options.retryMs ?? 5 * 60_000;
  let override: Promise<DjangoSupportTable> | undefined;
  let known: DjangoSupportTable | undefined;
  let cacheRead = false;
  let refreshing: Promise<DjangoSupportTable | undefined> | undefined;
  let failedAt = -Infinity;

  const isFresh = (table: DjangoSupportTable) => now().getTime() - Date.parse(table.fetchedAt) < options.refreshMs;

  async function readCache(): Promise<DjangoSupportTable | undefined> {
    try {
      return parseDjangoSupport(await readFile(options.cacheFile, "utf8"), options.cacheFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") options.log?.warn({ err: error }, "the cached Django support table is unreadable: reading the index again");
      return undefined;
    }
  }

  async function refresh(reader: DjangoIndexReader): Promise<DjangoSupportTable | undefined> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), waitMs);
    try {
      const table = await readDjangoSupportFromIndex(reader, { previous: known ?? shippedDjangoSupport(), now: now(), signal: abort.signal });
      await mkdir(path.dirname(options.cacheFile), { recursive: true });
      await writeFileAtomic(options.cacheFile, serializeDjangoSupport(table));
      known = table;
      return table;
    } catch (error) {
      failedAt = now().getTime();
      options.log?.warn({ err: error }, `the package index did not give Django's support table: planning with the ${known ? "cached one" : "snapshot shipped with Pony CI"}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async get() {
      if (options.overrideFile) {
        const file = options.overrideFile;
        override ??= readFile(file, "utf8").then((text) => ({ ...parseDjangoSupport(text, file), source: file }));
        return override;
      }
      if (!cacheRead) {
        cacheRead = true;
        known = await readCache();
      }
      if (known && isFresh(known)) return known;
      if (!options.reader || now().getTime() - failedAt < retryMs) return known ?? shippedDjangoSupport();
      refreshing ??= refresh(options.reader).finally(() => (refreshing = undefined));
      return (await refreshing) ?? known ?? shippedDjangoSupport();
    },
  };
}

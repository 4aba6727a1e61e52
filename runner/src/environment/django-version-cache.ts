import { mkdir, readFile } from "node:fs/promises";
import { writeFileAtomic } from "../../../src/util/write-file-atomic.js";
import { dirname } from "node:path";

interface Entry {
  version: string;
  /** When it was resolved (ms since epoch, from the injected clock). */
  at: number;
}

/**
 * What "4.2" meant on PyPI, per Python version, remembered in a small JSON
 * file so that warm environment lookups never run pip. Entries older than the
 * TTL are refreshed; a stale entry is still returned by `get(…, {stale: true})`
 * for when the index cannot be reached.
 */
export interface DjangoVersionCache {
  get(python: string, series: string, options?: { stale?: boolean }): Promise<string | undefined>;
  set(python: string, series: string, version: string): Promise<void>;
}

export function createDjangoVersionCache(options: { file: string; ttlMs: number; now: () => number }): DjangoVersionCache {
  const key = (python: string, series: string) => `py${python}-dj${series}`;
  const load = async (): Promise<Record<string, Entry>> => {
    try {
      const parsed = JSON.parse(await readFile(options.file, "utf8")) as unknown;
      return parsed && typeof parsed === "object" ? (parsed as Record<string, Entry>) : {};
    } catch {
      return {}; // missing or corrupt: resolve again
    }
  };
  let writing = Promise.resolve();
  return {
    async get(python, series, { stale = false } = {}) {
      const entry = (await load())[key(python, series)];
      if (!entry || typeof entry.version !== "string") return undefined;
      if (!stale && options.now() - entry.at >= options.ttlMs) return undefined;
      return entry.version;
    },
    set(python, series, version) {
      // Serialised within the process; the rename keeps readers in other processes safe.
      writing = writing.catch(() => undefined).then(async () => {
        const all = await load();
        all[key(python, series)] = { version, at: options.now() };
        await mkdir(dirname(options.file), { recursive: true });
        await writeFileAtomic(options.file, JSON.stringify(all, null, 2));
      });
      return writing;
    },
  };
}

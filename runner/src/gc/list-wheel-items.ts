import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { GcItem, GcSource } from "../../../src/domain/gc-item.js";

/**
 * Every `.whl` in the shared wheel cache and in each repository's cache of
 * built wheels (`<cacheDir>/wheels` of uv, `<cacheDir>/index-wheels` of pip, `<cacheDir>/built-wheels/<scope>`).
 * Last use: the later of the file's access and modification times (resolvers
 * read the wheels they pick; relatime updates atime at least daily). A wheel
 * is never in use in a way its removal could break: the build that picked it
 * works on its own hard link, and the grace period covers the moment between
 * a resolver's listing and its copy.
 */
export function createWheelSource(options: { dirs: () => Promise<string[]> }): GcSource {
  return {
    kind: "wheel",
    async list() {
      const items: GcItem[] = [];
      for (const dir of await options.dirs()) {
        let names: string[];
        try {
          names = await readdir(dir);
        } catch {
          continue;
        }
        for (const name of names) {
          if (!name.endsWith(".whl") || name.startsWith(".")) continue;
          const path = join(dir, name);
          const st = await stat(path).catch(() => undefined);
          if (!st?.isFile()) continue;
          items.push({
            kind: "wheel",
            id: path,
            // A second link (a build's scratch copy) keeps the blocks until that build ends: counted anyway.
            bytes: st.blocks * 512,
            lastUsedMs: Math.max(st.atimeMs, st.mtimeMs),
            inUse: false,
            remove: () => rm(path, { force: true }),
          });
        }
      }
      return items;
    },
  };
}

/** The wheel directories of an environment cache directory: the shared one and every repository's own. */
export async function wheelDirsOf(cacheDir: string): Promise<string[]> {
  const built = join(cacheDir, "built-wheels");
  const scopes = await readdir(built).catch(() => [] as string[]);
  return [join(cacheDir, "wheels"), join(cacheDir, "index-wheels"), ...scopes.map((scope) => join(built, scope))];
}

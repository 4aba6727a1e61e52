import { copyFile, link, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Hard-link (copy across file systems) every file of `from` into `to`,
 * keeping files that are already there: how fresh downloads and built wheels
 * join the shared wheel cache without a half-written file ever being visible.
 * Resolves the names of the files in `from`. `only` links just those names;
 * `skip` leaves those out (a repository's own built wheels, kept out of the
 * shared cache).
 */
export async function linkIntoDir(from: string, to: string, filter: { only?: string[]; skip?: Set<string> } = {}): Promise<string[]> {
  const names = (await readdir(from, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.endsWith(".part")).map((e) => e.name);
  for (const name of names) {
    if (filter.only && !filter.only.includes(name)) continue;
    if (filter.skip?.has(name)) continue;
    try {
      await link(join(from, name), join(to, name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      if (code === "EXDEV") {
        const tmp = join(to, `.${name}.${process.pid}.part`);
        await copyFile(join(from, name), tmp);
        await link(tmp, join(to, name)).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== "EEXIST") throw e;
        });
        continue;
      }
      throw error;
    }
  }
  return names.sort();
}

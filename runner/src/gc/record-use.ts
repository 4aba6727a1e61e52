import { mkdir, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Last-use marks: one empty file per thing used (an environment key, a
 * mirror's directory name) under `dir`, its mtime the time of last use.
 * A file per name keeps concurrent processes sharing the data directory out
 * of each other's way (no shared file to rewrite). `name` must be a plain
 * file name Pony CI made (a hash, a mirror directory name).
 */
export async function recordUse(dir: string, name: string, at: Date = new Date()): Promise<void> {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith(".")) throw new Error(`not a use-mark name: ${JSON.stringify(name)}`);
  const file = join(dir, name);
  try {
    await utimes(file, at, at);
  } catch {
    await mkdir(dir, { recursive: true });
    await writeFile(file, "");
    await utimes(file, at, at);
  }
}

/** When `name` was last marked used (epoch ms), or 0. */
export async function readUse(dir: string, name: string): Promise<number> {
  try {
    return (await stat(join(dir, name))).mtimeMs;
  } catch {
    return 0;
  }
}

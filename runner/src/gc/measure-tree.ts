import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Disk space (allocated blocks) of a file or directory tree, like `du -s`:
 * symbolic links are never followed (a workspace is a repository's files),
 * a file with several hard links inside the tree counts once, and what
 * disappears while walking counts as nothing.
 */
export async function measureTree(path: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    let st;
    try {
      st = await lstat(p);
    } catch {
      return;
    }
    const inode = `${st.dev}:${st.ino}`;
    if (seen.has(inode)) return;
    seen.add(inode);
    total += st.blocks * 512;
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = await readdir(p);
    } catch {
      return;
    }
    for (const name of names) await walk(join(p, name));
  };
  await walk(path);
  return total;
}

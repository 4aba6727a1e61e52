import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";

/**
 * Write `path` whole or not at all: into a sibling named for this process
 * and a random suffix, then one rename, so readers (in any process) see the
 * old content or the new, never half, and concurrent writers never share a
 * temporary file. A failed write leaves no temporary file behind.
 */
export async function writeFileAtomic(path: string, data: string, options: { mode?: number } = {}): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, data, options.mode === undefined ? {} : { mode: options.mode });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}

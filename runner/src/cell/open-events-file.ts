import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

/**
 * Create the events file a test container will write, and open it for
 * reading, BEFORE the container starts: the host reads only what it created
 * itself, through a descriptor it already holds, never a path the container
 * could have replaced since (with a FIFO, which blocks a libuv thread for
 * ever; a symlink to /dev/zero or to a host file; a directory). The file is
 * created exclusively, opened with O_NOFOLLOW|O_NONBLOCK, and must be a
 * regular file. Bind-mount this file itself (not its directory) into the
 * container: a mount point cannot be unlinked or renamed from inside.
 */
export async function openEventsFile(path: string): Promise<FileHandle> {
  const created = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  await created.close();
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new Error(`${path} is not a regular file`);
  }
  return handle;
}

import { constants } from "node:fs";
import { open } from "node:fs/promises";

export interface ReadUntrustedFileOptions {
  /** Bytes read at most; the rest of the file is ignored. */
  maxBytes: number;
  /** Gives up after this long (a stuck file system); default 5 s. */
  timeoutMs?: number;
}

/**
 * Reads the start of a file that untrusted code (a test, a build) could have
 * replaced: opened with O_NOFOLLOW|O_NONBLOCK (a FIFO opens at once instead
 * of blocking a libuv thread for ever, a symlink is refused), checked to be
 * a regular file on the descriptor, read up to `maxBytes`, under a deadline.
 * Undefined when the file is missing, is not a regular file, or the deadline
 * passed: the caller treats it as absent.
 */
export async function readUntrustedFile(path: string, options: ReadUntrustedFileOptions): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), options.timeoutMs ?? 5_000);
    timer.unref();
  });
  try {
    return await Promise.race([read(path, options.maxBytes), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function read(path: string, maxBytes: number): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const buffer = Buffer.alloc(maxBytes);
    let length = 0;
    while (length < maxBytes) {
      const { bytesRead } = await handle.read(buffer, length, maxBytes - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length).toString("utf8");
  } catch {
    return undefined;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

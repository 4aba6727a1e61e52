import { constants, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

export interface ReadUntrustedBytesOptions {
  /** Bytes read at most. */
  maxBytes: number;
  /** A larger file: "error" (default) refuses it, "truncate" keeps its first `maxBytes`. */
  overflow?: "error" | "truncate";
  /** Gives up after this long (a stuck file system, a FIFO swapped in after the check); default 5 s. */
  timeoutMs?: number;
}

/**
 * Read a file a container, a test or a repository could have written or
 * replaced: opened `O_NOFOLLOW|O_NONBLOCK` (a symbolic link is refused, a
 * FIFO opens at once instead of blocking a libuv thread for ever), checked
 * to be a regular file on the descriptor, read up to `maxBytes`, under a
 * deadline. Resolves undefined when the file does not exist.
 * @throws Error saying why for a link, a non-regular file, a file over
 * `maxBytes` (unless `overflow: "truncate"`), or a read past the deadline.
 */
export async function readUntrustedBytes(path: string, options: ReadUntrustedBytesOptions): Promise<Buffer | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${path} was not read within ${options.timeoutMs ?? 5_000} ms: not read`)), options.timeoutMs ?? 5_000);
    timer.unref();
  });
  try {
    return await Promise.race([readBytes(path, options.maxBytes, options.overflow ?? "error"), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The lenient form, for callers that treat an unreadable file as absent (the
 * garbage collector reading a workspace): the start of the file as UTF-8, at
 * most `maxBytes`, or undefined whenever `readUntrustedBytes` would refuse it.
 */
export async function readUntrustedFile(path: string, options: { maxBytes: number; timeoutMs?: number }): Promise<string | undefined> {
  const bytes = await readUntrustedBytes(path, { ...options, overflow: "truncate" }).catch(() => undefined);
  return bytes?.toString("utf8");
}

/**
 * Opens a file something untrusted wrote, never following a link and never
 * blocking on a FIFO (`O_NOFOLLOW|O_NONBLOCK`), and checks on the descriptor
 * that it is a regular file. Undefined when absent; the caller closes the
 * handle. `verb` words the refusals ("not read", "not copied").
 * @throws for a symbolic link or anything but a regular file.
 */
export async function openUntrustedFile(path: string, verb: string): Promise<{ handle: FileHandle; st: Stats } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw new Error(`${path} is a symbolic link: not ${verb}`);
    throw error;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${path} is not a regular file: not ${verb}`);
    return { handle, st };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

async function readBytes(path: string, maxBytes: number, overflow: "error" | "truncate"): Promise<Buffer | undefined> {
  const opened = await openUntrustedFile(path, "read");
  if (!opened) return undefined;
  const { handle, st } = opened;
  try {
    if (overflow === "error" && st.size > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes: not read`);
    // One byte more than allowed tells a file that grew past the limit after the stat.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes && overflow === "error") throw new Error(`${path} is larger than ${maxBytes} bytes: not read`);
    return buffer.subarray(0, Math.min(length, maxBytes));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

import { constants } from "node:fs";
import { open } from "node:fs/promises";

/**
 * Read a file a container (or a repository) could have written: opened
 * `O_NOFOLLOW|O_NONBLOCK` (a symbolic link or a FIFO planted in its place
 * is refused, never followed or waited on), only a regular file, at most
 * `maxBytes` (more is an error, not a truncation). Resolves undefined when
 * the file does not exist.
 * @throws Error for a link, a non-regular file, or a file over `maxBytes`.
 */
export async function readUntrustedFile(path: string, maxBytes: number): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw new Error(`${path} is a symbolic link: not read`);
    throw error;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${path} is not a regular file: not read`);
    if (st.size > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes: not read`);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes: not read`);
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

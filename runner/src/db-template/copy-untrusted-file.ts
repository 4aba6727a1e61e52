import { constants, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Copy a file a container wrote to `target`, never following a link: opened
 * `O_NOFOLLOW|O_NONBLOCK`, checked to be a regular file of at most `maxBytes`
 * on the descriptor, copied byte for byte (counted again while copying: a
 * file that grows is refused). Returns the size; undefined when absent.
 * @throws for a link, a non-regular file or one over `maxBytes`.
 */
export async function copyUntrustedFile(source: string, target: string, maxBytes: number): Promise<number | undefined> {
  let handle;
  try {
    handle = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw new Error(`${source} is a symbolic link: not copied`);
    throw error;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${source} is not a regular file: not copied`);
    if (st.size > maxBytes) throw new Error(`${source} is larger than ${maxBytes} bytes: not copied`);
    let size = 0;
    const bounded = new PassThrough({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(size > maxBytes ? new Error(`${source} grew past ${maxBytes} bytes: not copied`) : null, chunk);
      },
    });
    await pipeline(handle.createReadStream({ autoClose: false }), bounded, createWriteStream(target, { mode: 0o600 }));
    return size;
  } finally {
    await handle.close();
  }
}

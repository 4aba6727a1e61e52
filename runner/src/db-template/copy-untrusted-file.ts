import { createWriteStream } from "node:fs";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { openUntrustedFile } from "../../../src/util/read-untrusted-file.js";

/**
 * Copy a file a container wrote to `target`, never following a link: opened
 * `O_NOFOLLOW|O_NONBLOCK`, checked to be a regular file of at most `maxBytes`
 * on the descriptor, copied byte for byte (counted again while copying: a
 * file that grows is refused). Returns the size; undefined when absent.
 * @throws for a link, a non-regular file or one over `maxBytes`.
 */
export async function copyUntrustedFile(source: string, target: string, maxBytes: number): Promise<number | undefined> {
  const opened = await openUntrustedFile(source, "copied");
  if (!opened) return undefined;
  const { handle, st } = opened;
  try {
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

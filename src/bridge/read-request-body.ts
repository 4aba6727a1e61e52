import type { IncomingMessage } from "node:http";
import { BridgeRequestError } from "./bridge-request-error.js";

/**
 * Reads a request body of at most `maxBytes`. A larger declared length is
 * refused before reading; a larger streamed body as soon as it passes the
 * limit. Either way the rest is drained, not kept, so the refusal still
 * reaches the client (destroying the request would close the socket first).
 * @throws BridgeRequestError 413
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new BridgeRequestError(413, `body too large: at most ${maxBytes} bytes (${Math.floor(maxBytes / 1024)} KiB) of ref updates per push`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (refused) return;
      if (size > maxBytes) {
        refused = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

import type { IncomingMessage } from "node:http";

/**
 * The one request body limit of the server (webhooks, bridge pushes, forge
 * webhooks, dashboard forms): reads a body of at most `maxBytes`. A larger
 * declared Content-Length is refused before any byte is read, a larger
 * streamed (chunked) body as soon as it passes the limit; either way it
 * resolves `undefined` and the rest is drained, not kept, so the caller's
 * refusal still reaches the client (destroying the request, or only pausing
 * it as raw-body does, would leave the client without the answer).
 * Hand-written for that drain: it is these 25 lines.
 * @throws the request's own stream error
 */
export function readBodyWithin(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.resolve(undefined);
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
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(refused ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

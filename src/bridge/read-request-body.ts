import type { IncomingMessage } from "node:http";
import { readBodyWithin } from "../http/read-body-within.js";
import { BridgeRequestError } from "./bridge-request-error.js";

/**
 * Reads a bridge or forge request body of at most `maxBytes` (the server's
 * one limit reader, src/http/read-body-within.ts).
 * @throws BridgeRequestError 413
 */
export async function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const body = await readBodyWithin(req, maxBytes);
  if (body === undefined) throw new BridgeRequestError(413, `body too large: at most ${maxBytes} bytes (${Math.floor(maxBytes / 1024)} KiB) of ref updates per push`);
  return body;
}

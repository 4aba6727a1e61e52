import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { readBodyWithin } from "../http/read-body-within.js";

/** Webhook bodies larger than this are refused (GitHub caps its payloads at 25 MiB). */
export const MAX_WEBHOOK_BODY_BYTES = 25 * 1024 * 1024;

export interface GuardRequestsOptions {
  /** Probot's webhook path ("/api/github/webhooks"): bodies there are read here, with a limit. */
  webhookPath: string;
  maxBodyBytes?: number;
  /** Whole request (headers and body) must arrive within this; default 60 s. */
  requestTimeoutMs?: number;
  /** Headers must arrive within this; default 20 s. */
  headersTimeoutMs?: number;
}

/**
 * Put a guard in front of every request listener of `server` (Probot's
 * included): webhook bodies are read here first, at most `maxBodyBytes`
 * (25 MiB): a larger declared Content-Length is answered 413 before any byte
 * is read, a larger streamed (chunked) body as soon as it passes the limit;
 * what was read is handed on as `req.body` (a string), which
 * @octokit/webhooks' middleware reads instead of the stream. Node's request
 * and header timeouts are set so a slow client cannot hold a socket open.
 */
export function guardRequests(server: Server, options: GuardRequestsOptions): void {
  const maxBytes = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  server.requestTimeout = options.requestTimeoutMs ?? 60_000;
  server.headersTimeout = options.headersTimeoutMs ?? 20_000;
  const inner = server.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners("request");
  const pass = (req: IncomingMessage, res: ServerResponse) => {
    for (const listener of inner) listener.call(server, req, res);
  };
  const webhookPath = normalizeTrailingSlashes(options.webhookPath);
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    // The path as the webhook middleware sees it: "/api/github/webhooks/" and "/x/../api/github/webhooks" are the webhook too.
    if (req.method !== "POST" || webhookPathname(req.url ?? "/") !== webhookPath) return pass(req, res);
    // readBodyWithin drains the rest without keeping it, so the answer reaches the client; the socket closes after it.
    const refuse = () => void res.writeHead(413, { "Content-Type": "text/plain", Connection: "close" }).end(`webhook body too large: at most ${maxBytes} bytes\n`);
    void readBodyWithin(req, maxBytes).then((body) => {
      if (body === undefined) return refuse();
      (req as IncomingMessage & { body?: string }).body = body.toString("utf8");
      pass(req, res);
    }, () => res.destroy());
  });
}

/**
 * The pathname exactly as @octokit/webhooks' node middleware (v14,
 * `create-middleware.js`) computes it before comparing with its path:
 * trailing slashes trimmed from the raw url, then WHATWG URL parsing (which
 * resolves `.`, `..` and their %2e spellings). Any other normalisation here
 * would let a body reach the middleware, which holds it whole, unchecked.
 * Undefined when the url does not parse (the middleware answers 422 then).
 */
export function webhookPathname(url: string): string | undefined {
  try {
    return new URL(normalizeTrailingSlashes(url), "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

/** @octokit/webhooks' `normalizeTrailingSlashes` (not exported by the package): "/a//" → "/a", "" and "///" → "/". */
function normalizeTrailingSlashes(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

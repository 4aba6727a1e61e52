import type { IncomingMessage, ServerResponse } from "node:http";

export interface EventStream {
  /** One event; `data` is JSON-encoded (so no raw newline of a log line can end it early). */
  send(event: string, data: unknown, id?: string): void;
  close(): void;
  /** Resolves when the client went away or `close()` was called. */
  readonly closed: Promise<void>;
}

/**
 * A Server-Sent Events response (text/event-stream, as EventSource expects):
 * a heartbeat comment every `heartbeatMs` keeps proxies from closing it, and
 * `retry` tells the browser how soon to reconnect (with Last-Event-ID).
 */
export function openEventStream(req: IncomingMessage, res: ServerResponse, options: { heartbeatMs?: number } = {}): EventStream {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-accel-buffering": "no",
    connection: "keep-alive",
  });
  res.write("retry: 2000\n\n");
  let done = false;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    resolveClosed();
  };
  req.on("close", finish);
  res.on("close", finish);
  return {
    send(event, data, id) {
      if (done) return;
      res.write(`${id ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      if (!done) res.end();
      finish();
    },
    closed,
  };
}

/** "3.120" (attempt 3, line 120) from Last-Event-ID or the `after` query parameter. */
export function parseLogCursor(value: string | undefined | null): { attempt: number; line: number } | undefined {
  const match = /^(\d{1,6})\.(\d{1,9})$/.exec(value ?? "");
  return match ? { attempt: Number(match[1]), line: Number(match[2]) } : undefined;
}

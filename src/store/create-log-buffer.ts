import type { Clock } from "../domain/clock.js";
import type { LogRows } from "./log-rows.js";

export interface LogBufferOptions {
  store: Pick<LogRows, "appendLog">;
  jobId: string;
  clock: Clock;
  /** Write a chunk once this many bytes are buffered. Default 64 KiB. */
  flushBytes?: number;
  /** …or when a line arrives this long after the last chunk. Default 2 s. */
  flushMs?: number;
}

export interface LogBuffer {
  /** Buffers one line (without "\n"); may write a chunk. */
  write(line: string): void;
  /** Writes whatever is buffered. Call it when the job ends. */
  flush(): void;
  /** Lines dropped so far because the log reached its limit. */
  readonly droppedLines: number;
}

/**
 * Turns a stream of log lines into a few compressed chunks: appending a line
 * costs a string push; a database write happens every `flushBytes` or
 * `flushMs`. No timers: a quiet job's last lines wait for the next line or
 * `flush()`.
 */
export function createLogBuffer(options: LogBufferOptions): LogBuffer {
  const flushBytes = options.flushBytes ?? 64 * 1024;
  const flushMs = options.flushMs ?? 2_000;
  let pending: string[] = [];
  let pendingBytes = 0;
  let lastFlushAt = options.clock.now();
  let droppedLines = 0;

  const flush = (): void => {
    lastFlushAt = options.clock.now();
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    pendingBytes = 0;
    droppedLines += options.store.appendLog(options.jobId, lines).dropped;
  };

  return {
    write: (line) => {
      pending.push(line);
      pendingBytes += line.length + 1;
      if (pendingBytes >= flushBytes || options.clock.now() - lastFlushAt >= flushMs) flush();
    },
    flush,
    get droppedLines() {
      return droppedLines;
    },
  };
}

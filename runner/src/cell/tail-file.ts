import type { FileHandle } from "node:fs/promises";
import { createLineSplitter } from "../container/create-line-splitter.js";

export interface FileTail {
  /** Read what is left (within the byte budget) and stop polling. */
  stop(): Promise<void>;
  /** True once `maxTotalBytes` were read: the rest of the file was never read. */
  readonly truncated: boolean;
}

/** What is read of one events file at most (a container can make it any size, sparse). */
export const DEFAULT_MAX_EVENTS_BYTES = 64 * 1024 * 1024;

/**
 * Follow a file another process appends to (the harness's events file, on a
 * bind mount), through a descriptor the host opened itself (openEventsFile),
 * passing each complete line on. Polls: inotify does not see writes made
 * inside a container on every storage driver. At most `maxTotalBytes`
 * (default 64 MiB) are ever read, so a 10 GB sparse file costs 64 MiB of
 * reading; lines over `maxLineBytes` are cut. The caller owns the handle
 * (and closes it after stop()).
 */
export function tailFile(
  handle: FileHandle,
  onLine: (line: string) => void,
  options: { intervalMs?: number; maxLineBytes?: number; maxTotalBytes?: number } = {},
): FileTail {
  const maxTotal = options.maxTotalBytes ?? DEFAULT_MAX_EVENTS_BYTES;
  const splitter = createLineSplitter({ onLine, maxLineBytes: options.maxLineBytes ?? 1024 * 1024 });
  const buffer = Buffer.alloc(256 * 1024);
  let offset = 0;
  let reading: Promise<void> = Promise.resolve();
  let stopped = false;
  let truncated = false;

  const readMore = async () => {
    while (offset < maxTotal) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, maxTotal - offset), offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      splitter.write(buffer.subarray(0, bytesRead));
    }
    truncated = true;
  };
  const tick = () => {
    reading = reading.then(readMore).catch(() => undefined);
  };
  const timer = setInterval(tick, options.intervalMs ?? 100);

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      tick();
      await reading;
      splitter.end();
    },
    get truncated() {
      return truncated;
    },
  };
}

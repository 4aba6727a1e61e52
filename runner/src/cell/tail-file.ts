import { open, type FileHandle } from "node:fs/promises";
import { createLineSplitter } from "../container/create-line-splitter.js";

export interface FileTail {
  /** Read what is left and stop polling. */
  stop(): Promise<void>;
}

/**
 * Follow a file another process appends to (the harness's events file, on a
 * bind mount), passing each complete line on. Polls: inotify does not see
 * writes made inside a container on every storage driver.
 */
export function tailFile(file: string, onLine: (line: string) => void, options: { intervalMs?: number; maxLineBytes?: number; maxTotalBytes?: number } = {}): FileTail {
  const splitter = createLineSplitter({ onLine, maxLineBytes: options.maxLineBytes ?? 1024 * 1024, maxTotalBytes: options.maxTotalBytes });
  const buffer = Buffer.alloc(256 * 1024);
  let offset = 0;
  let handle: FileHandle | undefined;
  let reading: Promise<void> = Promise.resolve();
  let stopped = false;

  const readMore = async () => {
    if (!handle) {
      try {
        handle = await open(file, "r");
      } catch {
        return; // not created yet
      }
    }
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      splitter.write(buffer.subarray(0, bytesRead));
    }
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
      await handle?.close();
    },
  };
}

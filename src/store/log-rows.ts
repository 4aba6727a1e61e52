import { gunzipSync, gzipSync } from "node:zlib";
import type { StoreCore } from "./store-core.js";

/** A job's log keeps at most this many bytes (uncompressed) unless told otherwise. */
export const DEFAULT_LOG_LIMIT_BYTES = 5 * 1024 * 1024;

export interface AppendLogResult {
  /** Lines kept. */
  kept: number;
  /** Lines over the job's log limit, counted and dropped. */
  dropped: number;
}

export interface StoredLog {
  lines: string[];
  /** Uncompressed bytes kept (each line plus its newline). */
  bytes: number;
  /** Lines that arrived after the limit was reached. */
  droppedLines: number;
}

export interface LogRows {
  /**
   * Appends lines (without their "\n") to a job's log as one compressed
   * chunk. From the first line that would take the log past its limit of
   * bytes, lines are only counted (the log is its head, never with holes). Cheap per call, but each call is a chunk: batch lines (see
   * `createLogBuffer`) rather than calling once per line.
   */
  appendLog(jobId: string, lines: readonly string[]): AppendLogResult;
  /** The whole log of a job (empty when it has none). */
  readLog(jobId: string): StoredLog;
}

interface LogMeta {
  bytes: number;
  lines: number;
  dropped_lines: number;
  chunks: number;
}

export function createLogRows(core: StoreCore, options: { limitBytes: number }): LogRows {
  const db = core.sqlite;
  const ensure = db.prepare<[string]>("INSERT INTO job_logs (job_id) VALUES (?) ON CONFLICT (job_id) DO NOTHING");
  const meta = db.prepare<[string], LogMeta>("SELECT bytes, lines, dropped_lines, chunks FROM job_logs WHERE job_id = ?");
  const update = db.prepare<[number, number, number, number, string]>(
    "UPDATE job_logs SET bytes = bytes + ?, lines = lines + ?, dropped_lines = dropped_lines + ?, chunks = chunks + ? WHERE job_id = ?",
  );
  const insertChunk = db.prepare<[string, number, Buffer]>("INSERT INTO job_log_chunks (job_id, seq, gz) VALUES (?, ?, ?)");
  const chunks = db.prepare<[string], { gz: Buffer }>("SELECT gz FROM job_log_chunks WHERE job_id = ? ORDER BY seq");

  return {
    appendLog: (jobId, lines) =>
      core.transact(`append to the log of job ${jobId}`, () => {
        ensure.run(jobId);
        const current = meta.get(jobId) as LogMeta;
        // Once a line did not fit, the rest of the log is dropped: no holes in the middle.
        let room = current.dropped_lines > 0 ? 0 : options.limitBytes - current.bytes;
        let kept = 0;
        let bytes = 0;
        for (const line of lines) {
          const size = Buffer.byteLength(line) + 1;
          if (size > room) break;
          room -= size;
          bytes += size;
          kept++;
        }
        const dropped = lines.length - kept;
        if (kept > 0) {
          const text = `${lines.slice(0, kept).join("\n")}\n`;
          insertChunk.run(jobId, current.chunks + 1, gzipSync(text));
        }
        update.run(bytes, kept, dropped, kept > 0 ? 1 : 0, jobId);
        return { kept, dropped };
      }),
    readLog: (jobId) =>
      core.read(`read the log of job ${jobId}`, () => {
        const current = meta.get(jobId);
        if (!current) return { lines: [], bytes: 0, droppedLines: 0 };
        const text = chunks
          .all(jobId)
          .map((chunk) => gunzipSync(chunk.gz).toString("utf8"))
          .join("");
        const lines = text.length > 0 ? text.slice(0, -1).split("\n") : [];
        return { lines, bytes: current.bytes, droppedLines: current.dropped_lines };
      }),
  };
}

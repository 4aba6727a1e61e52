import Database from "better-sqlite3";
import { chmodSync, existsSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { STORE_FILE } from "./open-store.js";

export class BackupError extends Error {
  override name = "BackupError";
}

/**
 * A consistent copy of the store while the server runs. `VACUUM INTO` reads
 * the database in one read transaction (a snapshot: writers in WAL mode go
 * on, and the copy is the state at one instant, never half a build), and
 * writes a compact, self-contained file (no -wal to forget). SQLite's
 * online backup API would restart whenever the server writes. Written to a
 * temporary file, checked (`integrity_check`) and then renamed: FILE is
 * either absent or a whole backup. Never overwrites FILE. Mode 0600: it
 * holds private repositories' logs and results.
 *
 * Restore (docs): stop the server, copy the file to
 * `<PONYCI_DATA_DIR>/ponyci.sqlite` (removing ponyci.sqlite-wal and -shm),
 * start it; cells queued or running at backup time run again.
 */
export function backupStore(options: { dataDir: string; file: string }): { bytes: number; file: string } {
  const source = path.join(options.dataDir, STORE_FILE);
  const target = path.resolve(options.file);
  if (!existsSync(source)) throw new BackupError(`there is no store at ${source}: set PONYCI_DATA_DIR to the server's data directory`);
  if (existsSync(target)) throw new BackupError(`${target} exists: choose a new file name (a backup never overwrites one)`);
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { force: true });
  try {
    const db = new Database(source, { readonly: true, fileMustExist: true, timeout: 10_000 });
    try {
      db.prepare("VACUUM INTO ?").run(partial);
    } finally {
      db.close();
    }
    chmodSync(partial, 0o600);
    const copy = new Database(partial, { readonly: true, fileMustExist: true });
    try {
      const check = copy.pragma("integrity_check", { simple: true });
      if (check !== "ok") throw new BackupError(`the copy failed SQLite's integrity check (${String(check)}): nothing was written to ${target}`);
    } finally {
      copy.close();
    }
    renameSync(partial, target);
  } catch (error) {
    rmSync(partial, { force: true });
    if (error instanceof BackupError) throw error;
    throw new BackupError(`could not back up ${source} to ${target}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { bytes: statSync(target).size, file: target };
}

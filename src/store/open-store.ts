import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { silentLogger, type Logger } from "../domain/logger.js";
import { createBuildRows } from "./build-rows.js";
import { systemClock, type Clock } from "../domain/clock.js";
import { createDeliveryRows } from "./delivery-rows.js";
import { createJobRows } from "./job-rows.js";
import { createCellFailureRows } from "./cell-failure-rows.js";
import { createLogRows, DEFAULT_LOG_LIMIT_BYTES } from "./log-rows.js";
import { createRetentionRows } from "./retention-rows.js";
import { migrateSchema } from "./migrate-schema.js";
import type { Store } from "./store.js";
import type { StoreCore } from "./store-core.js";
import { toStoreError } from "./store-error.js";
import { createTestHistoryRows } from "./test-history-rows.js";
import { createTestResultRows } from "./test-result-rows.js";

/** The database file inside the data directory. */
export const STORE_FILE = "ponyci.sqlite";

export interface OpenStoreOptions {
  /** Created when missing. The database is `<dataDir>/ponyci.sqlite`. */
  dataDir: string;
  log?: Logger;
  clock?: Clock;
  /** How long to wait for another connection's lock before failing. Default 5000. */
  busyTimeoutMs?: number;
  /** Bytes of log kept per job (uncompressed); the rest is counted and dropped. Default 5 MiB. */
  logLimitBytes?: number;
}

/**
 * Opens (creating if needed) the store in `dataDir`: WAL journal, foreign
 * keys on, schema migrated to this version in one transaction. Throws a
 * `StoreError` when the file cannot be opened, is locked beyond the busy
 * timeout, or was written by a newer Pony CI.
 */
export function openStore(options: OpenStoreOptions): Store {
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  const path = join(options.dataDir, STORE_FILE);
  const fail = (action: string, error: unknown): never => {
    throw toStoreError(error, { action, path, busyTimeoutMs });
  };

  let db: Database.Database;
  try {
    // The data directory holds repositories' logs and results, private ones too: the server's user only.
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    chmodSync(options.dataDir, 0o700);
    db = new Database(path, { timeout: busyTimeoutMs });
    for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
  } catch (error) {
    return fail("open the database", error);
  }
  try {
    db.pragma("journal_mode = WAL");
    // WAL + NORMAL survives a killed process; only a power cut may lose the last commits.
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrateSchema(db, { path, log });
  } catch (error) {
    db.close();
    return fail("prepare the database", error);
  }

  const inTransaction = db.transaction((fn: () => unknown) => fn());
  const core: StoreCore = {
    path,
    sqlite: db,
    clock,
    log,
    // Nested calls leave errors alone: the outermost action names the failure.
    transact: <T>(action: string, fn: () => T): T => {
      if (db.inTransaction) return inTransaction.immediate(fn) as T;
      try {
        return inTransaction.immediate(fn) as T;
      } catch (error) {
        return fail(action, error);
      }
    },
    read: <T>(action: string, fn: () => T): T => {
      if (db.inTransaction) return fn();
      try {
        return fn();
      } catch (error) {
        return fail(action, error);
      }
    },
  };

  const jobs = createJobRows(core);
  const store: Store = {
    ...core,
    ...createDeliveryRows(core),
    ...createBuildRows(core, jobs),
    ...jobs,
    ...createTestResultRows(core),
    ...createTestHistoryRows(core),
    ...createLogRows(core, { limitBytes: options.logLimitBytes ?? DEFAULT_LOG_LIMIT_BYTES }),
    ...createRetentionRows(core),
    ...createCellFailureRows(core),
    close: () => {
      if (db.open) db.close();
    },
  };
  log.debug({ path }, "store: open");
  return store;
}

import type Database from "better-sqlite3";
import type { Logger } from "../domain/logger.js";
import { migrations as knownMigrations } from "./migrations.js";
import { StoreError } from "./store-error.js";

export interface MigrateSchemaOptions {
  /** The database file, named in messages. */
  path: string;
  log: Logger;
  /** Defaults to the schema of this version of Pony CI. */
  migrations?: readonly string[];
}

/**
 * Brings the database to the newest schema version: applies the missing
 * steps in one transaction (all or nothing) and returns the version reached.
 * Throws a `StoreError` ("too-new") when the file was written by a newer Pony
 * CI, without touching it.
 */
export function migrateSchema(db: Database.Database, options: MigrateSchemaOptions): number {
  const steps = options.migrations ?? knownMigrations;
  const readVersion = (): number => db.pragma("user_version", { simple: true }) as number;
  const refuseNewer = (version: number): never => {
    throw new StoreError({
      code: "too-new",
      message:
        `The database ${options.path} has schema version ${version}, but this Pony CI knows versions up to ${steps.length}: ` +
        "a newer Pony CI wrote it. Run that newer version, or restore a backup taken before the upgrade.",
    });
  };

  const before = readVersion();
  if (before > steps.length) refuseNewer(before);
  if (before === steps.length) return before;

  // IMMEDIATE: take the write lock first, then re-read, so that two processes
  // starting together apply each step once.
  db.transaction(() => {
    const from = readVersion();
    if (from > steps.length) refuseNewer(from);
    for (let version = from; version < steps.length; version++) {
      db.exec(steps[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    }
  }).immediate();
  options.log.info({ path: options.path, from: before, to: steps.length }, "store: schema migrated");
  return steps.length;
}

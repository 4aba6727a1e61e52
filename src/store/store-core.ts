import type Database from "better-sqlite3";
import type { Logger } from "../domain/logger.js";
import type { Clock } from "../domain/clock.js";

/**
 * What every part of the store is built on, and what the components living in
 * the same database file (the embedded queue, the outbox) use to own their
 * tables' SQL.
 */
export interface StoreCore {
  /** The database file. */
  readonly path: string;
  /**
   * The open connection, for `src/queue` and `src/outbox` only: everything
   * else goes through the typed functions. Always use `transact`/`read`
   * around it so that errors become `StoreError`s.
   */
  readonly sqlite: Database.Database;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * Runs `fn` in an IMMEDIATE transaction (the write lock is taken first, so
   * waiting for another writer uses the busy timeout instead of failing half
   * way). A throw rolls everything back and is rethrown as a `StoreError`
   * saying "could not <action>". Nests (inner calls become savepoints).
   */
  transact<T>(action: string, fn: () => T): T;
  /** Runs a read; errors become `StoreError`s saying "could not <action>". */
  read<T>(action: string, fn: () => T): T;
}

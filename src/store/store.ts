import type { BuildRows } from "./build-rows.js";
import type { CellFailureRows } from "./cell-failure-rows.js";
import type { DeliveryRows } from "./delivery-rows.js";
import type { JobRows } from "./job-rows.js";
import type { LogRows } from "./log-rows.js";
import type { RetentionRows } from "./retention-rows.js";
import type { StoreCore } from "./store-core.js";
import type { TestHistoryRows } from "./test-history-rows.js";
import type { TestResultRows } from "./test-result-rows.js";

/**
 * The durable store: one SQLite file. Every function is synchronous, every
 * multi-row change is one transaction, and every failure is a `StoreError`
 * (after a rollback: nothing is ever half-written). Open with `openStore`,
 * close once at shutdown, after the queue and the outbox have stopped.
 */
export interface Store extends StoreCore, DeliveryRows, BuildRows, JobRows, TestResultRows, TestHistoryRows, LogRows, RetentionRows, CellFailureRows {
  /** Closes the connection (checkpointing the WAL). Safe to call twice. */
  close(): void;
}

import type { GcItem, GcSource } from "../domain/gc-item.js";
import type { Store } from "../store/store.js";

/** Deliveries are only remembered to drop GitHub's redeliveries: a week is plenty. */
export const DELIVERY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** What a delivery row costs, roughly (id, event, time, index entry). */
const DELIVERY_ROW_BYTES = 120;

/**
 * The store's share of the budget: job logs (least recently finished first;
 * a running job's log is in use) and deliveries older than a week (garbage
 * whatever the budget). The rest of the store (builds, results) is small
 * and is what the dashboards show: kept.
 */
export function createStoreSources(store: Pick<Store, "listLogSizes" | "deleteLog" | "countDeliveriesOlderThan" | "pruneDeliveries">): GcSource[] {
  return [
    {
      kind: "log",
      async list() {
        return store.listLogSizes().map(
          (log): GcItem => ({
            kind: "log",
            id: log.jobId,
            bytes: log.bytes,
            lastUsedMs: log.finishedAt ?? Number.MAX_SAFE_INTEGER,
            inUse: log.finishedAt === undefined,
            remove: async () => void store.deleteLog(log.jobId),
          }),
        );
      },
    },
    {
      kind: "delivery",
      async list() {
        const old = store.countDeliveriesOlderThan(DELIVERY_RETENTION_MS);
        if (old === 0) return [];
        return [
          {
            kind: "delivery",
            id: `${old} deliveries older than 7 days`,
            bytes: old * DELIVERY_ROW_BYTES,
            lastUsedMs: 0,
            inUse: false,
            garbage: true,
            remove: async () => void store.pruneDeliveries(DELIVERY_RETENTION_MS),
          },
        ];
      },
    },
  ];
}

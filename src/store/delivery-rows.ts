import type { StoreCore } from "./store-core.js";

export interface DeliveryRows {
  /**
   * Remembers a webhook delivery (`X-GitHub-Delivery`, or a bridge push id).
   * Returns false when it was seen before: the caller ignores the duplicate.
   */
  recordDelivery(id: string, event: string): boolean;
  /** Forgets deliveries older than `olderThanMs`; returns how many. */
  pruneDeliveries(olderThanMs: number): number;
}

export function createDeliveryRows(core: StoreCore): DeliveryRows {
  const insert = core.sqlite.prepare<[string, string, number]>(
    "INSERT INTO deliveries (id, event, received_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
  );
  const prune = core.sqlite.prepare<[number]>("DELETE FROM deliveries WHERE received_at < ?");
  return {
    recordDelivery: (id, event) =>
      core.transact(`record delivery ${id}`, () => insert.run(id, event, core.clock.now()).changes === 1),
    pruneDeliveries: (olderThanMs) =>
      core.transact("forget old deliveries", () => prune.run(core.clock.now() - olderThanMs).changes),
  };
}

import type { GcItem } from "../domain/gc-item.js";

export interface CollectionPlanOptions {
  /** What everything listed may take, in bytes. */
  budgetBytes: number;
  now: number;
  /**
   * Items used less than this long ago are kept even over budget: an
   * environment a build just returned may not have its test container yet, a wheel may be between a resolver's listing and its copy.
   */
  graceMs: number;
}

export interface CollectionPlan {
  remove: GcItem[];
  /** Bytes of every item listed. */
  totalBytes: number;
  /** Bytes left after the removals. */
  afterBytes: number;
  /** Still over budget after removing all it may (in-use and recent items are kept). */
  overBudget: boolean;
}

/**
 * Decide what to remove, purely: first every item that is garbage whatever
 * the budget (and not in use), then, while the total is over budget, the
 * least recently used items of every kind, oldest first. Items in use or
 * used within `graceMs` are never chosen. Ties are broken by id so the
 * order is stable.
 */
export function planCollection(items: readonly GcItem[], options: CollectionPlanOptions): CollectionPlan {
  const totalBytes = items.reduce((sum, item) => sum + item.bytes, 0);
  let left = totalBytes;
  const removable = items.filter((item) => !item.inUse);
  const remove: GcItem[] = [];
  for (const item of removable) {
    if (!item.garbage) continue;
    remove.push(item);
    left -= item.bytes;
  }
  const candidates = removable
    .filter((item) => !item.garbage && options.now - item.lastUsedMs >= options.graceMs)
    .sort((a, b) => a.lastUsedMs - b.lastUsedMs || a.id.localeCompare(b.id));
  for (const item of candidates) {
    if (left <= options.budgetBytes) break;
    remove.push(item);
    left -= item.bytes;
  }
  return { remove, totalBytes, afterBytes: left, overBudget: left > options.budgetBytes };
}

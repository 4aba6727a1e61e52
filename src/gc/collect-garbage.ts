import { describeError } from "../domain/errors.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import { GC_KINDS, type GcItem, type GcKind, type GcSource } from "../domain/gc-item.js";
import { planCollection } from "./plan-collection.js";

export interface CollectGarbageOptions {
  sources: GcSource[];
  budgetBytes: number;
  /** List and decide, remove nothing. */
  dryRun?: boolean;
  now?: () => number;
  /** See CollectionPlanOptions.graceMs (default 15 min). */
  graceMs?: number;
  log?: Logger;
  /** A source that has not listed within this long is reported and skipped (a stuck file system must not stop collection for good). Default 5 min. */
  listTimeoutMs?: number;
}

export interface GcKindReport {
  /** Items listed, and their bytes. */
  count: number;
  bytes: number;
  /** Removed (or, in a dry run, that would be), and the bytes freed. */
  removed: number;
  freedBytes: number;
  /** Items kept because they are in use right now. */
  inUse: number;
}

export interface GcReport {
  dryRun: boolean;
  budgetBytes: number;
  totalBytes: number;
  afterBytes: number;
  overBudget: boolean;
  kinds: Record<GcKind, GcKindReport>;
  /** What went wrong (a source that could not list, an item that could not be removed). */
  errors: string[];
}

export const DEFAULT_GC_GRACE_MS = 15 * 60 * 1000;

/**
 * One collection: list every source, plan (planCollection), remove what the
 * plan says unless `dryRun`, and report per kind. A source or a removal that
 * fails is reported and skipped; nothing here throws for it.
 */
export async function collectGarbage(options: CollectGarbageOptions): Promise<GcReport> {
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  const errors: string[] = [];
  const items: GcItem[] = [];
  for (const source of options.sources) {
    try {
      items.push(...(await withinDeadline(source.list(), options.listTimeoutMs ?? 5 * 60_000)));
    } catch (error) {
      errors.push(`could not list ${source.kind}s: ${describeError(error)}`);
    }
  }
  const plan = planCollection(items, { budgetBytes: options.budgetBytes, now: now(), graceMs: options.graceMs ?? DEFAULT_GC_GRACE_MS });
  const kinds = Object.fromEntries(GC_KINDS.map((kind) => [kind, { count: 0, bytes: 0, removed: 0, freedBytes: 0, inUse: 0 }])) as Record<GcKind, GcKindReport>;
  for (const item of items) {
    kinds[item.kind].count++;
    kinds[item.kind].bytes += item.bytes;
    if (item.inUse) kinds[item.kind].inUse++;
  }
  let afterBytes = plan.totalBytes;
  for (const item of plan.remove) {
    if (!options.dryRun) {
      try {
        await item.remove();
      } catch (error) {
        errors.push(`could not remove ${item.kind} ${item.id}: ${describeError(error)}`);
        continue;
      }
      log.info({ kind: item.kind, id: item.id, bytes: item.bytes }, "garbage collected");
    }
    kinds[item.kind].removed++;
    kinds[item.kind].freedBytes += item.bytes;
    afterBytes -= item.bytes;
  }
  return { dryRun: options.dryRun ?? false, budgetBytes: options.budgetBytes, totalBytes: plan.totalBytes, afterBytes, overBudget: afterBytes > options.budgetBytes, kinds, errors };
}

async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)} s (skipped this time)`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

import { MAX_ORDERED_CLASSES, testClassOf } from "./order-test-classes.js";

/**
 * Recorded test time per test class (testClassOf), in ms, of one run: what a
 * cell is split across runners by (CellSpec.testTimings). Bad durations
 * count as zero; at most MAX_ORDERED_CLASSES classes, the longest. Pure.
 */
export function sumClassDurations(results: ReadonlyArray<{ id: string; durationMs: number }>): Record<string, number> {
  const totals = new Map<string, number>();
  for (const { id, durationMs } of results) {
    const cls = testClassOf(id);
    totals.set(cls, (totals.get(cls) ?? 0) + (Number.isFinite(durationMs) && durationMs > 0 ? durationMs : 0));
  }
  const longest = [...totals.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)).slice(0, MAX_ORDERED_CLASSES);
  return Object.fromEntries(longest);
}

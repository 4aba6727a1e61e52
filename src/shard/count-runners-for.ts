import type { RunnerStatus } from "../domain/remote-protocol.js";

/**
 * Runners that could take a shard of a cell of `python` with `labels` now
 * (from their current heartbeats): they have the Python and every label, and
 * are not draining. Busy runners count: a shard waits in the queue like any
 * cell. Pure.
 */
export function countRunnersFor(runners: readonly RunnerStatus[], cell: { python: string; labels?: readonly string[] }): number {
  return runners.filter((r) => !r.draining && r.pythons.includes(cell.python) && (cell.labels ?? []).every((label) => r.labels.includes(label))).length;
}

import type { OutboxKind } from "./outbox.js";

/**
 * Which head-of-key write goes first across keys: completions (a cell's
 * result must reach GitHub), then creates and anything else, then progress
 * (the first to wait when writes are scarce).
 */
export function priorityOf(kind: OutboxKind): number {
  if (kind === "complete") return 2;
  if (kind === "progress") return 0;
  return 1;
}

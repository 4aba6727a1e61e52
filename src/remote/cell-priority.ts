/**
 * The BullMQ priority of a cell (1 is first; equal priorities keep FIFO
 * order). Round-robin over repositories: a repository's n-th waiting cell
 * gets 1 + 2n, so a burst of one repository cannot push another's first cell
 * behind it; within a round, the default branch (pushes) goes ahead of pull
 * requests (+1). Hand-written because BullMQ's groups, which do exactly
 * this, are only in BullMQ Pro.
 */
export function cellPriority(input: { waitingOfRepo: number; pullRequest: boolean }): number {
  const round = Math.min(Math.max(0, Math.floor(input.waitingOfRepo)), 1_000_000);
  return 1 + 2 * round + (input.pullRequest ? 1 : 0);
}

import { emptyCounts, type Conclusion, type FinishedEvent, type TestCounts } from "../domain/events.js";

/** Which shard verdict speaks for the cell: the first of these wins. */
const SEVERITY: readonly Conclusion[] = ["error", "cancelled", "timed_out", "failure", "neutral", "success"];

/**
 * One cell's verdict from its shards' final verdicts (issue 28): the worst
 * conclusion (error, cancelled, timed out, failure, neutral, success), its
 * error and exit code (the message says which shard), counts and truncated
 * lines summed, test time the longest shard's (they ran side by side),
 * notes of every shard in shard order after `notes`. `durationMs` is the
 * cell's wall time, measured by the caller. Pure.
 */
export function mergeShardVerdicts(
  verdicts: ReadonlyArray<{ index: number; of: number; finished: FinishedEvent }>,
  options: { durationMs: number; notes?: string[] },
): FinishedEvent {
  const counts: TestCounts = emptyCounts();
  let truncated = 0;
  let worst: (typeof verdicts)[number] | undefined;
  for (const verdict of verdicts) {
    const f = verdict.finished;
    for (const key of Object.keys(counts) as (keyof TestCounts)[]) counts[key] += f.counts[key] ?? 0;
    truncated += f.truncatedLines ?? 0;
    if (!worst || SEVERITY.indexOf(f.conclusion) < SEVERITY.indexOf(worst.finished.conclusion)) worst = verdict;
  }
  const notes = [...(options.notes ?? []), ...verdicts.flatMap((v) => (v.finished.notes ?? []).map((note) => `Shard ${v.index}/${v.of}: ${note}`))];
  const merged: FinishedEvent = {
    type: "finished",
    conclusion: worst?.finished.conclusion ?? "error",
    counts,
    durationMs: options.durationMs,
    testDurationMs: Math.max(0, ...verdicts.map((v) => v.finished.testDurationMs)),
  };
  if (!worst) merged.error = { message: "no shard of this cell finished" };
  const error = worst?.finished.error;
  if (worst && error) merged.error = { ...error, message: `shard ${worst.index}/${worst.of}: ${error.message}` };
  if (worst?.finished.exitCode !== undefined) merged.exitCode = worst.finished.exitCode;
  if (worst?.finished.infrastructureError) merged.infrastructureError = worst.finished.infrastructureError;
  if (verdicts.some((v) => v.finished.countsUnknown)) merged.countsUnknown = true;
  if (truncated > 0) merged.truncatedLines = truncated;
  if (notes.length > 0) merged.notes = notes;
  return merged;
}

import type { TestCounts } from "../../domain/events.js";
import { batchAnnotations } from "./batch-annotations.js";
import { buildCheckActions } from "./build-check-actions.js";
import type { CheckConclusion, CheckRunUpdate } from "./check-run-payload.js";
import { formatTimestamp } from "./format.js";
import type { RenderedCheckOutput } from "./render-check-output.js";

export interface PlanCheckWritesOptions {
  output: RenderedCheckOutput;
  conclusion: CheckConclusion;
  /** The cell's counts: decide the "Re-run failed" button. */
  counts: TestCounts;
  completedAt: Date | number;
  /** Annotations per request (default and maximum 50). */
  batchSize?: number;
}

/**
 * The PATCH bodies that complete a check run, in the order to send them.
 * The first completes it (status, conclusion, completed_at, output with the
 * first ≤ 50 annotations, buttons). Each further body carries the next ≤ 50
 * annotations: GitHub appends annotations but replaces the output's title,
 * summary and text, so every body repeats them (and the buttons) unchanged.
 * A run without annotations costs exactly one write.
 */
export function planCheckWrites(options: PlanCheckWritesOptions): CheckRunUpdate[] {
  const { output } = options;
  const batches = batchAnnotations(output.annotations, options.batchSize);
  const actions = buildCheckActions(options.counts);
  const outputWith = (index: number) => {
    const annotations = batches[index];
    return { title: output.title, summary: output.summary, text: output.text, ...(annotations ? { annotations } : {}) };
  };
  const first: CheckRunUpdate = {
    status: "completed",
    conclusion: options.conclusion,
    completed_at: formatTimestamp(options.completedAt),
    output: outputWith(0),
    ...(actions.length > 0 ? { actions } : {}),
  };
  const rest: CheckRunUpdate[] = batches.slice(1).map((_, i) => ({
    output: outputWith(i + 1),
    ...(actions.length > 0 ? { actions } : {}),
  }));
  return [first, ...rest];
}

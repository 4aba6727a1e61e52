import type { Job } from "../../domain/job.js";
import type { CheckConclusion, CheckOutput } from "./check-run-payload.js";
import { cellCheckConclusion } from "./decide-aggregate.js";
import { checkRunName, formatCounts } from "./format.js";
import { escapeMarkdown } from "./safe-text.js";

export interface RenderAggregateOptions {
  /** The cells it stands for (latestCells), in matrix order. */
  cells: readonly Job[];
  /** Undefined while cells still run. */
  conclusion?: CheckConclusion;
  sha: string;
  /** The build page, for links to each cell (`#job-<id>`). */
  buildUrl: string;
  /** Why this commit was built ("merge queue", "schedule nightly", …), shown first. */
  reason?: string;
}

const MARK: Record<CheckConclusion, string> = {
  success: "✅ passed",
  failure: "❌ failed",
  timed_out: "⏱ timed out",
  cancelled: "⊘ cancelled",
  action_required: "✋ action required",
  neutral: "➖ ignored (ignore_outcome)",
  skipped: "➖ skipped",
};

/** Title, and the cell table with links, of the aggregate "Pony CI" run (pure). */
export function renderAggregateOutput(options: RenderAggregateOptions): CheckOutput {
  const { cells, conclusion } = options;
  const ended = cells.filter((c) => c.state === "finished" || c.state === "cancelled");
  const bad = ended.filter((c) => ["failure", "timed_out", "cancelled"].includes(cellCheckConclusion(c)));
  const total = cells.length === 1 ? "1 cell" : `${cells.length} cells`;
  const title =
    conclusion === undefined
      ? `Running: ${ended.length} of ${total} done`
      : bad.length === 0
        ? `All ${total} passed`
        : `${bad.length} of ${total} did not pass`;
  const rows = cells.map((job) => {
    const ended = job.state === "finished" || job.state === "cancelled" ? cellCheckConclusion(job) : undefined;
    // A neutral cell is either tox's ignore_outcome or a passing command whose tests could not be read (issue 22).
    const state = ended === "neutral" && job.countsUnknown ? "➖ passed, tests not read" : ended ? MARK[ended] : job.state === "running" ? "▶ running" : "… queued";
    const tests = job.countsUnknown ? "counts unknown" : job.counts ? formatCounts(job.counts) : "";
    return `| [${escapeMarkdown(checkRunName(job.cell))}](${options.buildUrl}#job-${job.id}) | ${state} | ${tests} |`;
  });
  const summary = [
    ...(options.reason ? [`${escapeMarkdown(options.reason)}\n`] : []),
    `Pony CI tested ${options.sha.slice(0, 7)} in ${total}. This check is the one to require in branch protection: it passes when every cell passes (quarantined and flaky failures, and cells with \`ignore_outcome\`, do not count), whatever the matrix holds.`,
    "",
    "| Cell | Result | Tests |",
    "| --- | --- | --- |",
    ...rows,
  ].join("\n");
  return { title, summary: summary.slice(0, 65_000) };
}

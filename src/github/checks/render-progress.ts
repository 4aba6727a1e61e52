import type { Cell } from "../../domain/cell.js";
import { cellName } from "../../domain/cell.js";
import type { TestCounts, TestResult } from "../../domain/events.js";
import { escapeMarkdown, sanitizeText } from "./safe-text.js";
import { formatCounts, truncateText } from "./format.js";

export interface RenderProgressOptions {
  cell: Cell;
  /** Counts so far. */
  counts: TestCounts;
  /** Failed or erroring tests so far, oldest first (only the first few are named). */
  failures?: readonly TestResult[];
}

const NAMED_FAILURES = 5;

/**
 * Output of a running cell: title "Running: 120 passed, 1 failed so far"
 * ("Running: no results yet" before the first test) and a short summary
 * naming the first failures. It holds no clock time: two updates with the
 * same results are equal (the outbox coalesces progress writes of a job).
 */
export function renderProgress(options: RenderProgressOptions): { title: string; summary: string } {
  const { counts } = options;
  const title = counts.total > 0 ? `Running: ${formatCounts(counts)} so far` : "Running: no results yet";
  const lines = [`**${escapeMarkdown(cellName(options.cell))}** is running: ${counts.total} ${counts.total === 1 ? "test" : "tests"} finished so far.`];
  const failures = options.failures ?? [];
  if (failures.length > 0) {
    lines.push("", "Failed so far:");
    for (const test of failures.slice(0, NAMED_FAILURES)) {
      lines.push(`- <code>${escapeMarkdown(truncateText(sanitizeText(test.id), { maxChars: 200, keep: "middle" }))}</code>`);
    }
    const more = failures.length - NAMED_FAILURES;
    if (more > 0) lines.push(`- …and ${more} more`);
  }
  lines.push("", "Details, annotations and the log tail appear when the cell finishes.");
  return { title, summary: `${lines.join("\n")}\n` };
}

import type { Cell } from "../../domain/cell.js";
import { cellName } from "../../domain/cell.js";
import type { FinishedEvent, TestResult } from "../../domain/events.js";
import { CHECK_RUN_LIMITS } from "./check-run-limits.js";
import { escapeForHtmlBlock, escapeMarkdown, fenceCodeBlock, sanitizeText } from "./safe-text.js";
import { firstLine, formatDuration, truncateText } from "./format.js";
import { normalizeAnnotationPath } from "./normalize-annotation-path.js";

export interface RenderCheckSummaryOptions {
  cell: Cell;
  finished: FinishedEvent;
  tests: readonly TestResult[];
  /** The title already rendered for this output (repeated as the summary's headline). */
  title: string;
  /** Size limit in UTF-8 bytes (default and maximum: GitHub's 65535). */
  maxBytes?: number;
  /** Container paths of the checkout to strip from locations (default ["/workspace/"]). */
  workspacePrefixes?: readonly string[];
  /** A rendered "why it failed" section (render-failure-report.ts), placed right after the headline. */
  report?: string;
}

const SLOWEST_COUNT = 5;
const ERROR_TRACEBACK_BYTES = 16_000;
const TEST_TRACEBACK_MAX_BYTES = 8_000;
const TEST_TRACEBACK_MIN_BYTES = 1_000;
const TEST_ID_CHARS = 200;
const MESSAGE_CHARS = 300;
const CUT_MARKER = "\n… {count} characters cut …\n";

/**
 * Markdown summary of a finished cell, within `maxBytes` by construction:
 * headline, the start/infrastructure error with its traceback, a counts
 * table, notes (skipped tests, dropped output lines, exit code), each failed
 * or erroring test in a collapsible `<details>` with its message and
 * traceback (as many as fit; the rest are counted), and the slowest tests.
 * All untrusted text is escaped for its context (Markdown, HTML block, or a
 * code fence it cannot close).
 */
export function renderCheckSummary(options: RenderCheckSummaryOptions): string {
  const maxBytes = Math.min(options.maxBytes ?? CHECK_RUN_LIMITS.outputBytes, CHECK_RUN_LIMITS.outputBytes);
  const { cell, finished, tests } = options;

  const head = `**${escapeMarkdown(cellName(cell))}**: ${escapeMarkdown(options.title)}`;
  const prefixes = options.workspacePrefixes;
  const error = renderError(finished, prefixes);
  const table = renderCountsTable(finished);
  const notes = renderNotes(finished);
  const slowest = renderSlowest(tests);
  const failed = tests.filter((t) => t.outcome === "failed" || t.outcome === "error");

  const fixed = [head, options.report, error, table, notes, slowest].filter(Boolean) as string[];
  const fixedBytes = bytes(fixed.join("\n\n")) + 64;
  const failures = renderFailures(failed, maxBytes - fixedBytes, prefixes);

  const sections = [head, options.report, error, table, notes, failures, slowest].filter(Boolean) as string[];
  const summary = `${sections.join("\n\n")}\n`;
  // Unreachable with the budgets above; kept so a future section can never produce a 422.
  return truncateText(summary, { maxBytes });
}

function renderError(finished: FinishedEvent, prefixes: readonly string[] | undefined): string | undefined {
  const { error } = finished;
  if (!error) return undefined;
  const heading = finished.conclusion === "error"
    ? "**Infrastructure error.** The runner could not run this cell; this is not a problem in your code. Re-run the check once the CI host is healthy."
    : finished.counts.total === 0
      ? "**The test suite could not start.**"
      : "**The test process crashed.**";
  const lines = [heading];
  const path = error.location ? normalizeAnnotationPath(error.location.path, prefixes) : undefined;
  if (path && error.location) lines.push(`At ${escapeMarkdown(`${path}:${error.location.line}`)}`);
  const details = sanitizeText(error.traceback?.trim() ? error.traceback : error.message).trimEnd();
  lines.push(fenceCodeBlock(truncateText(details, { maxBytes: ERROR_TRACEBACK_BYTES, keep: "middle", headShare: 0.25, marker: CUT_MARKER, wholeLines: true })).trimEnd());
  return lines.join("\n\n");
}

function renderCountsTable(finished: FinishedEvent): string {
  const c = finished.counts;
  return [
    "| Passed | Failed | Errors | Skipped | Expected failures | Unexpected passes | Total |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    `| ${c.passed} | ${c.failed} | ${c.error} | ${c.skipped} | ${c.xfail} | ${c.xpass} | ${c.total} |`,
    "",
    `Tests took ${formatDuration(finished.testDurationMs)}; the whole cell (checkout, environment, tests) ${formatDuration(finished.durationMs)}.`,
  ].join("\n");
}

function renderNotes(finished: FinishedEvent): string | undefined {
  const notes: string[] = (finished.notes ?? []).map((note) => escapeMarkdown(note));
  const { skipped } = finished.counts;
  if (skipped > 0) notes.push(`${skipped} ${skipped === 1 ? "test was" : "tests were"} skipped.`);
  const dropped = finished.truncatedLines ?? 0;
  if (dropped > 0) notes.push(`${dropped} ${dropped === 1 ? "line" : "lines"} of output ${dropped === 1 ? "was" : "were"} dropped: the cell went over the log limit.`);
  if (finished.exitCode !== undefined && finished.exitCode !== 0) notes.push(`The test process exited with code ${finished.exitCode}.`);
  for (const note of finished.notes ?? []) notes.push(escapeMarkdown(note.endsWith(".") ? note : `${note}.`));
  return notes.length > 0 ? notes.map((n) => `- ${n}`).join("\n") : undefined;
}

function renderSlowest(tests: readonly TestResult[]): string | undefined {
  const timed = tests.filter((t) => Number.isFinite(t.durationMs) && t.durationMs > 0);
  if (timed.length === 0) return undefined;
  const slowest = [...timed].sort((a, b) => b.durationMs - a.durationMs).slice(0, SLOWEST_COUNT);
  const rows = slowest.map((t) => `| <code>${escapeMarkdown(shortId(t.id))}</code> | ${formatDuration(t.durationMs)} |`);
  return [`### Slowest ${slowest.length === 1 ? "test" : `${slowest.length} tests`}`, "", "| Test | Time |", "|---|---:|", ...rows].join("\n");
}

/** As many failure blocks as fit in `budget` bytes, then a count of the rest. */
function renderFailures(failed: readonly TestResult[], budget: number, prefixes: readonly string[] | undefined): string | undefined {
  if (failed.length === 0) return undefined;
  const heading = `### Failed tests (${failed.length})`;
  const reserve = 300; // heading + "and N more" line
  let remaining = budget - reserve;
  const perTest = Math.max(TEST_TRACEBACK_MIN_BYTES, Math.min(TEST_TRACEBACK_MAX_BYTES, Math.floor(remaining / failed.length) - 400));
  const blocks: string[] = [];
  for (const test of failed) {
    const block = renderFailure(test, perTest, prefixes);
    const size = bytes(block) + 2;
    if (size > remaining) break;
    blocks.push(block);
    remaining -= size;
  }
  const parts = [heading, ...blocks];
  const hidden = failed.length - blocks.length;
  if (hidden > 0) {
    parts.push(`_…and ${hidden} more failed ${hidden === 1 ? "test" : "tests"}, left out to keep this summary within GitHub's size limit: see the annotations and the log._`);
  }
  return parts.join("\n\n");
}

function renderFailure(test: TestResult, tracebackBytes: number, prefixes: readonly string[] | undefined): string {
  const message = firstLine(test.message) ?? firstLine(lastLines(test.traceback)) ?? (test.outcome === "error" ? "raised an error" : "failed");
  const label = test.outcome === "error" ? "error" : "failed";
  const summaryLine = `<summary><code>${escapeForHtmlBlock(shortId(test.id))}</code> (${label}): ${escapeForHtmlBlock(truncateText(message, { maxChars: MESSAGE_CHARS }))}</summary>`;
  const parts = ["<details>", summaryLine, ""];
  const path = test.location ? normalizeAnnotationPath(test.location.path, prefixes) : undefined;
  if (path && test.location) parts.push(`At ${escapeMarkdown(`${path}:${test.location.line}`)}`, "");
  const details = sanitizeText(test.traceback?.trim() ? test.traceback : (test.message ?? "")).trimEnd();
  if (details) parts.push(fenceCodeBlock(truncateText(details, { maxBytes: tracebackBytes, keep: "middle", headShare: 0.25, marker: CUT_MARKER, wholeLines: true })));
  parts.push("</details>");
  return parts.join("\n");
}

function shortId(id: string): string {
  return truncateText(sanitizeText(id), { maxChars: TEST_ID_CHARS, keep: "middle" });
}

function lastLines(text: string | undefined): string | undefined {
  return text?.trimEnd().split("\n").at(-1);
}

function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

import { cellName, type Cell } from "../domain/cell.js";
import type { FinishedEvent, TestResult } from "../domain/events.js";
import { formatDuration } from "../domain/format-duration.js";

export interface CellReport {
  cell: Cell;
  finished: FinishedEvent;
  failures: TestResult[];
  /** Every test result, in order (the JSON and JUnit reports). */
  tests?: TestResult[];
}

const MARK: Record<FinishedEvent["conclusion"], string> = {
  success: "✓",
  failure: "✗",
  cancelled: "⊘",
  timed_out: "⌛",
  error: "!",
  neutral: "~",
};

/** One line for a finished cell: "✓ Python 3.11 · Django 5.2  12 passed in 1.3 s". */
export function formatCellLine(report: CellReport): string {
  const { counts, conclusion, testDurationMs } = report.finished;
  const parts = [`${counts.passed} passed`];
  if (counts.failed) parts.push(`${counts.failed} failed`);
  if (counts.error) parts.push(`${counts.error} errors`);
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  const summary = report.finished.countsUnknown ? `${conclusion}, test counts unknown` : conclusion === "success" || counts.total > 0 ? parts.join(", ") : conclusion;
  let line = `${MARK[conclusion]} ${cellName(report.cell)}  ${summary}`;
  line += ` in ${formatDuration(testDurationMs)}`;
  if (report.finished.error) line += ` — ${report.finished.error.message.split("\n")[0]}`;
  return line;
}

/** The final table: one row per cell, then every failure with its location. Pure. */
export function renderRunTable(reports: CellReport[]): string {
  const header = ["Cell", "Result", "Passed", "Failed", "Errors", "Skipped", "Tests", "Cell time"];
  // "?" when no runner Pony CI reads ran: never a "0 passed" that means nothing.
  const count = (finished: FinishedEvent, n: number) => (finished.countsUnknown ? "?" : String(n));
  const rows = reports.map(({ cell, finished }) => [
    cellName(cell),
    finished.conclusion,
    count(finished, finished.counts.passed),
    count(finished, finished.counts.failed),
    count(finished, finished.counts.error),
    count(finished, finished.counts.skipped),
    formatDuration(finished.testDurationMs),
    formatDuration(finished.durationMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const format = (row: string[]) => row.map((v, i) => (i >= 2 ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  const lines = [format(header), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(format)];

  const problems: string[] = [];
  for (const report of reports) {
    const name = cellName(report.cell);
    if (report.finished.error) {
      const where = report.finished.error.location ? ` (${report.finished.error.location.path}:${report.finished.error.location.line})` : "";
      // A failing command's last output lines (the error's details after its message), a few of them.
      const { message, traceback } = report.finished.error;
      const output = traceback?.startsWith(message) ? traceback.slice(message.length).split("\n").filter((l) => l.trim() !== "").slice(-12) : [];
      problems.push(`${name}: ${message.split("\n")[0]}${where}${output.map((l) => `\n    ${l.slice(0, 300)}`).join("")}`);
    }
    for (const test of report.failures) {
      const where = test.location ? `${test.location.path}:${test.location.line}` : "location unknown";
      const message = (test.message ?? "").split("\n").find((l) => l.trim() !== "") ?? "";
      problems.push(`${name}: ${test.id} at ${where}${message ? `\n    ${message.slice(0, 200)}` : ""}`);
    }
  }
  if (problems.length > 0) lines.push("", "Failures:", ...problems.map((p) => `  ${p}`));
  return lines.join("\n");
}

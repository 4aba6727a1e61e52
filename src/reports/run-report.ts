/**
 * The machine-readable result of a run (`ponyci run --json`, `ponyci show
 * --json`), and the shape the JUnit writer reads. Version 1: fields are only
 * ever added.
 */
import { cellKey, cellName, type Cell } from "../domain/cell.js";
import type { Conclusion, FinishedEvent, TestCounts, TestOutcome, TestResult } from "../domain/events.js";

export interface ReportTest {
  /** Runner-native id ("polls.tests.QuestionTests.test_x", "tests/test_a.py::test_x"). */
  id: string;
  outcome: TestOutcome;
  durationMs: number;
  message?: string;
  traceback?: string;
  /** Path relative to the repository root. */
  file?: string;
  line?: number;
}

export interface ReportCell {
  /** "Python 3.11 · Django 5.2" */
  name: string;
  /** "py3.11-dj5.2" */
  key: string;
  python: string;
  django: string;
  /** "pending" while the cell has not finished (`ponyci show --json` of a build in progress). */
  conclusion: Conclusion | "pending";
  counts: TestCounts;
  /** Wall time of the cell; undefined when it never ran. */
  durationMs?: number;
  testDurationMs?: number;
  error?: { message: string; file?: string; line?: number };
  notes: string[];
  tests: ReportTest[];
}

export interface RunReport {
  version: 1;
  /** What was built: a path, URL or owner/name. */
  repository: string;
  sha: string;
  /** The worst conclusion of the cells (neutral cells do not count against it); "pending" while any cell runs. */
  conclusion: Conclusion | "pending";
  /** Epoch milliseconds the run (or build) started. */
  startedAt: number;
  cells: ReportCell[];
}

/** Worst first, as the store ranks builds. */
const SEVERITY: readonly Conclusion[] = ["failure", "timed_out", "error", "cancelled", "neutral", "success"];

/** The report of a cell that finished (a `ponyci run` cell, or a stored job). Pure. */
export function createReportCell(cell: Cell, finished: Pick<FinishedEvent, "counts" | "error" | "notes"> & { conclusion: ReportCell["conclusion"] } & Partial<Pick<FinishedEvent, "durationMs" | "testDurationMs">>, tests: readonly TestResult[]): ReportCell {
  const report: ReportCell = {
    name: cellName(cell),
    key: cellKey(cell),
    python: cell.python,
    django: cell.django,
    conclusion: finished.conclusion,
    counts: finished.counts,
    durationMs: finished.durationMs,
    testDurationMs: finished.testDurationMs,
    notes: finished.notes ?? [],
    tests: tests.map(toReportTest),
  };
  if (finished.error) {
    report.error = { message: finished.error.message, file: finished.error.location?.path, line: finished.error.location?.line };
  }
  return report;
}

/** The whole report; its conclusion is the worst of its cells'. Pure. */
export function createRunReport(parts: { repository: string; sha: string; startedAt: number; cells: ReportCell[] }): RunReport {
  const conclusion = parts.cells.some((cell) => cell.conclusion === "pending")
    ? "pending"
    : (SEVERITY.find((c) => parts.cells.some((cell) => cell.conclusion === c)) ?? "success");
  return { version: 1, ...parts, conclusion };
}

function toReportTest(test: TestResult): ReportTest {
  const out: ReportTest = { id: test.id, outcome: test.outcome, durationMs: test.durationMs };
  if (test.message !== undefined) out.message = test.message;
  if (test.traceback !== undefined) out.traceback = test.traceback;
  if (test.location) {
    out.file = test.location.path;
    out.line = test.location.line;
  }
  return out;
}

import type { CellSpec } from "../../../src/domain/cell-runner.js";
import type { FinishedEvent, TestCounts } from "../../../src/domain/events.js";
import { decideConclusion } from "./decide-conclusion.js";
import type { CellTestRun } from "./run-cell-tests.js";

/** A finished event as a phase decides it: the cell adds the duration, and the tally's counts unless given. */
export type CellFinish = Omit<FinishedEvent, "type" | "durationMs" | "counts"> & Partial<Pick<FinishedEvent, "counts">>;

export interface DecideCellFinishOptions {
  spec: CellSpec;
  run: CellTestRun;
  /** The results counted as they streamed (and from JUnit XML). */
  counts: TestCounts;
  countsUnknown: boolean;
  /** The results phase's notes (after the planner's). */
  notes: string[];
  /** The cell's timeout and memory limit, for the verdict's messages. */
  timeoutSec: number;
  memoryBytes: number;
}

/**
 * Phase "finish" of a cell that ran its tests: the verdict (decideConclusion),
 * the harness's totals when it counted more than was streamed, and a tox env's
 * `ignore_outcome` turning a failure or timeout neutral. Pure.
 */
export function decideCellFinish(options: DecideCellFinishOptions): CellFinish {
  const { spec, run, countsUnknown } = options;
  const { report, outcome } = run;
  const notes = [...(spec.notes ?? []), ...options.notes];
  const counts = { ...options.counts };
  if (report.totals && report.totals.total > counts.total) Object.assign(counts, report.totals);
  const verdict = decideConclusion(
    { ...outcome, timeoutSec: options.timeoutSec, memoryBytes: options.memoryBytes },
    { ended: report.ended, counts, crash: report.crash, countsUnknown, failedCommand: report.failedCommand && { ...report.failedCommand, output: run.outputTail.linesOf(report.failedCommand.step) } },
  );
  if (spec.ignoreOutcome && (verdict.conclusion === "failure" || verdict.conclusion === "timed_out")) {
    notes.push(`The cell ${verdict.conclusion === "failure" ? "failed" : "timed out"}, but its tox env sets ignore_outcome: reported as neutral`);
    verdict.conclusion = "neutral";
  }
  return {
    ...verdict, counts, ...(countsUnknown ? { countsUnknown } : {}), testDurationMs: report.testDurationMs, exitCode: outcome.exitCode,
    truncatedLines: run.truncatedLines || undefined, notes: notes.length > 0 ? notes : undefined,
  };
}

import type { SourceLocation, TestCounts } from "../../../src/domain/events.js";
import type { CellDbTemplate } from "../db-template/prepare-cell-db-template.js";
import { parseHarnessEvent } from "./parse-harness-event.js";
import type { TestTally } from "./create-test-tally.js";

/** What the harness said about a run, beyond the test results themselves (which go to the tally). */
export interface HarnessReport {
  /** The harness wrote its `end` event (it was not killed). */
  ended: boolean;
  testDurationMs: number;
  /** The harness's own totals (may count more than the results that were streamed). */
  totals?: TestCounts;
  crash?: { message: string; location?: SourceLocation; traceback?: string };
  /** A runner the harness reads ran (even with no tests): the counts are known. */
  testsRead: boolean;
  /** The first command of the project's that failed. */
  failedCommand?: { step: string; command: string[]; exitCode: number };
}

/**
 * A reader for the events file's lines (untrusted: parseHarnessEvent drops
 * what is not a known event): tests go to `tally`, template events to
 * `template`, the rest into `report`.
 */
export function collectHarnessEvents(options: { tally: TestTally; template?: CellDbTemplate; system: (line: string) => void }): { report: HarnessReport; onLine: (line: string) => void } {
  const report: HarnessReport = { ended: false, testDurationMs: 0, testsRead: false };
  const onLine = (line: string) => {
    const event = parseHarnessEvent(line);
    if (!event) return;
    if (event.event === "test") options.tally.record(event.test);
    else if (event.event === "error") report.crash = { message: event.message, location: event.location, traceback: event.traceback };
    else if (event.event === "command") report.failedCommand ??= { step: event.step, command: event.command, exitCode: event.exitCode };
    else if (event.event === "end") {
      report.ended = true;
      report.testDurationMs = event.durationMs;
      report.totals = event.totals;
    } else if (event.event === "run") report.testsRead = true;
    else if (event.event === "db_template") options.template?.onEvent(event);
    else if (event.event === "start") options.system(`Running tests with ${event.runner}: ${event.command.join(" ")}`);
  };
  return { report, onLine };
}

import type { TestTally } from "./create-test-tally.js";
import type { CellTestRun } from "./run-cell-tests.js";
import { readJunitReports } from "./read-junit-reports.js";

/**
 * Phase "results" of a cell: when no runner the harness reads ran, the JUnit
 * XML the command wrote (into the tally); when there is none either, the
 * counts are unknown, with a note saying why a passing command is neutral.
 */
export async function readCellResults(options: { run: CellTestRun; workspaceDir: string; tally: TestTally; system: (line: string) => void }): Promise<{ countsUnknown: boolean; notes: string[] }> {
  const { run, tally, system } = options;
  const { report, outcome } = run;
  if (report.testsRead || tally.counts.total > 0 || !report.ended || report.crash || outcome.timedOut || outcome.cancelled) return { countsUnknown: false, notes: [] };
  const junit = await readJunitReports(options.workspaceDir, { since: run.containerStartedAt });
  for (const note of junit.notes) system(note);
  // readJunitReports bounds its own results.
  for (const test of junit.tests) tally.record(test, { bounded: false });
  if (junit.tests.length > 0) {
    system(`Read ${junit.tests.length} test results from JUnit XML: ${junit.files.slice(0, 5).join(", ")}${junit.files.length > 5 ? ", …" : ""}`);
    return { countsUnknown: false, notes: [] };
  }
  return {
    countsUnknown: true,
    notes: ["Pony CI could not read this run's tests (no Django, unittest or pytest run, no JUnit XML written): the counts are unknown, and a passing command is neutral, not green"],
  };
}

import type { BuildListener } from "../builds/build-listener.js";
import type { TestResult } from "../domain/events.js";
import type { CellReport } from "./render-run-table.js";
import { cancelledVerdict } from "./create-terminal-listener.js";

/** A build listener that keeps what `ponyci run` reports at the end: each cell's verdict and tests. */
export interface ReportListener extends BuildListener {
  /** The planned cells' reports, in plan order; a cell that has not ended is left out. */
  reports(): CellReport[];
}

/**
 * `ponyci run`'s reports (the final table, --json, --junit) from what the
 * engine told its listeners: every test result of a cell's last attempt
 * (a retry starts the list afresh), and its judged verdict (the job
 * processor's: after a confirmation re-run, flaky failures are not red).
 */
export function createReportListener(): ReportListener {
  const order: string[] = [];
  const tests = new Map<string, TestResult[]>();
  const reports = new Map<string, CellReport>();
  return {
    planned(_build, jobs) {
      for (const job of jobs) order.push(job.id);
    },
    preparing(_build, job) {
      tests.set(job.id, []);
    },
    testResult(_build, job, test) {
      const list = tests.get(job.id) ?? [];
      list.push(test);
      tests.set(job.id, list);
    },
    finished({ job, finished }) {
      const all = tests.get(job.id) ?? [];
      reports.set(job.id, { cell: job.cell, finished, failures: all.filter((t) => t.outcome === "failed" || t.outcome === "error"), tests: all });
    },
    cancelled(_build, job) {
      reports.set(job.id, { cell: job.cell, finished: cancelledVerdict(), failures: [], tests: [] });
    },
    reports: () => order.flatMap((id) => reports.get(id) ?? []),
  };
}

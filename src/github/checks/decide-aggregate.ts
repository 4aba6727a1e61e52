import { cellKey } from "../../domain/cell.js";
import { jobTestPlanOf } from "../../history/job-test-plan.js";
import type { Job } from "../../domain/job.js";
import type { CheckConclusion } from "./check-run-payload.js";
import { toCheckConclusion } from "./to-check-conclusion.js";

/*
 * The aggregate check run ("Pony CI", one per commit) decided purely: which
 * cells it stands for, whether they are all done, and its conclusion. The
 * cells were judged already (judgeCell: quarantined and flaky failures,
 * tox's ignore_outcome): the aggregate only takes the worst of their
 * recorded conclusions, so it can never disagree with its cells.
 */

/** The name branch protection requires: stable whatever the matrix holds. */
export const AGGREGATE_CHECK_NAME = "Pony CI";

const EXTERNAL_ID_PREFIX = "ponyci-build:";

/** "ponyci-build:12": what the aggregate's external_id (and so a click on it) carries back. */
export function aggregateExternalId(buildId: number): string {
  return `${EXTERNAL_ID_PREFIX}${buildId}`;
}

/** The build an aggregate check run's external_id names; undefined for any other run. */
export function buildIdOfAggregate(externalId: string | null | undefined): number | undefined {
  const m = /^ponyci-build:(\d{1,12})$/.exec(externalId ?? "");
  return m ? Number(m[1]) : undefined;
}

/** Outbox key of a build's aggregate check run. */
export function aggregateKey(buildId: number): string {
  return `aggregate:${buildId}`;
}

/**
 * Worst first: what blocks a merge beats what does not. `neutral` and
 * `skipped` pass branch protection as `success` does, so they never make the
 * aggregate fail; they do not make it neutral either (the project said
 * those cells must not count).
 */
const SEVERITY: Record<CheckConclusion, number> = {
  failure: 7,
  timed_out: 6,
  action_required: 5,
  cancelled: 4,
  success: 1,
  neutral: 0,
  skipped: 0,
};

/** The aggregate's conclusion from its cells' check conclusions; success when there are none. */
export function aggregateConclusion(conclusions: readonly CheckConclusion[]): CheckConclusion {
  let worst: CheckConclusion = "success";
  for (const c of conclusions) if (SEVERITY[c] > SEVERITY[worst]) worst = c;
  return worst;
}

/**
 * The cells a commit's aggregate stands for: of the jobs of its builds up to
 * and including this one (oldest build first), the latest job of each cell,
 * so a re-run that passed replaces the failure it re-ran. Confirmation
 * re-runs (issue 15) are part of their original's verdict, not cells.
 */
export function latestCells(jobsByBuild: ReadonlyArray<readonly Job[]>): Job[] {
  const latest = new Map<string, Job>();
  for (const jobs of jobsByBuild) {
    for (const job of jobs) {
      if (jobTestPlanOf(job).confirms) continue;
      latest.set(cellKey(job.cell), job);
    }
  }
  return [...latest.values()];
}

/** True when every cell ended (finished or cancelled). */
export function allEnded(cells: readonly Job[]): boolean {
  return cells.every((job) => job.state === "finished" || job.state === "cancelled");
}

/** A cell's check conclusion as its own check run shows it. */
export function cellCheckConclusion(job: Job): CheckConclusion {
  if (job.state === "cancelled") return "cancelled";
  return toCheckConclusion(job.conclusion ?? "error");
}

/** The cells that need running again: everything not passing (failure, timed out, cancelled). */
export function cellsToRerun(cells: readonly Job[]): Job[] {
  return cells.filter((job) => SEVERITY[cellCheckConclusion(job)] > SEVERITY.success);
}

import type { CellSpec, CellRunner } from "../domain/cell-runner.js";
import type { FinishedEvent } from "../domain/events.js";
import type { Logger } from "../domain/logger.js";
import type { FailureReport } from "../history/classify-failures.js";
import type { FailureAnalyst } from "../history/create-failure-analyst.js";
import { InterruptedError } from "../domain/errors.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { Clock } from "../domain/clock.js";
import type { JobRecord } from "../store/job-rows.js";
import type { Store } from "../store/store.js";
import type { BuildListener } from "./build-listener.js";
import { runConfirmation } from "./run-confirmation.js";

export interface ExplainFailuresOptions {
  analyst: FailureAnalyst;
  store: Store;
  runner: CellRunner;
  clock: Clock;
  log: Logger;
  notify: Pick<Required<BuildListener>, "confirming">;
  build: BuildRecord;
  /** The attempt that just ran (results recorded, verdict not yet). */
  job: JobRecord;
  spec: CellSpec;
  finished: FinishedEvent;
  signal: AbortSignal;
}

/**
 * Issue 15's step between a cell's run and its verdict:
 * 1. confirm before blaming: when every failure is a test never seen
 *    failing, run those once more (listeners hear `confirming`);
 * 2. a shutdown meanwhile rethrows the InterruptedError (the cell goes back
 *    to the queue, nothing is reported);
 * 3. classify the failures against the cell's base, with the confirmation
 *    attached. Undefined: nothing to explain.
 */
export async function explainFailures(options: ExplainFailuresOptions): Promise<FailureReport | undefined> {
  const { analyst, build, job, signal } = options;
  const toConfirm = analyst.testsToConfirm(build, job, options.finished);
  let confirmation: Awaited<ReturnType<typeof runConfirmation>>;
  if (toConfirm) {
    options.notify.confirming(build, job, toConfirm);
    confirmation = await runConfirmation({ ...options, testIds: toConfirm });
    if (signal.aborted && signal.reason instanceof InterruptedError) throw signal.reason;
  }
  const report = analyst.analyse(build, job);
  if (report && confirmation) report.confirmation = { jobId: confirmation.job.id, tests: toConfirm?.length ?? 0, counts: confirmation.finished.counts };
  return report;
}

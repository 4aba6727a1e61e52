import type { CellRunner, CellSpec } from "../domain/cell-runner.js";
import type { FinishedEvent, TestResult } from "../domain/events.js";
import type { Logger } from "../domain/logger.js";
import type { Clock } from "../domain/clock.js";
import { createLogBuffer } from "../store/create-log-buffer.js";
import type { JobRecord } from "../store/job-rows.js";
import type { Store } from "../store/store.js";
import { jobTestPlanOf } from "../history/job-test-plan.js";

export interface RunConfirmationOptions {
  store: Store;
  runner: CellRunner;
  clock: Clock;
  log: Logger;
  /** The attempt whose failures are confirmed (running: it is judged after this). */
  job: JobRecord;
  /** Its spec: the confirmation runs the same commit, cell and environment. */
  spec: CellSpec;
  testIds: string[];
  signal: AbortSignal;
}

/**
 * Confirm before blaming (issue 15): runs `testIds` of a cell once more, as
 * a job of its own in the same build (`confirms`: the original job), so both
 * attempts stay in the store and the history sees two outcomes on one
 * commit. It reports to no one itself: the original job's check run shows
 * both. Never throws: a confirmation that cannot run is cancelled and
 * returns undefined (the failures are then judged without it).
 */
export async function runConfirmation(options: RunConfirmationOptions): Promise<{ job: JobRecord; finished: FinishedEvent } | undefined> {
  const { store, job, clock } = options;
  // The same stored plan (whatever the planner keeps there), limited to these tests.
  const external = { ...job.external, onlyTests: options.testIds, confirms: job.id };
  const [created] = store.createJobs(job.buildId, [{ id: `${job.id}-c${job.attempts}`, cell: job.cell, external }]);
  if (!created) return undefined;
  try {
    store.recordJobStarted(created.id, clock.now());
    const logBuffer = createLogBuffer({ store, jobId: created.id, clock });
    const results: TestResult[] = [];
    let finished: FinishedEvent | undefined;
    const spec: CellSpec = { ...options.spec, jobId: created.id, onlyTests: options.testIds, firstTests: undefined };
    for await (const event of options.runner.runCell(spec, { signal: options.signal })) {
      if (event.type === "test") results.push(event.test);
      else if (event.type === "log") logBuffer.write(event.stream === "system" ? `[ponyci] ${event.line}` : event.line);
      else if (event.type === "finished") finished = event;
    }
    store.addTestResults(created.id, results);
    logBuffer.flush();
    if (!finished || finished.conclusion === "cancelled" || finished.conclusion === "error") {
      store.recordJobCancelled(created.id, clock.now());
      return undefined;
    }
    const done = store.recordJobFinished({ jobId: created.id, conclusion: finished.conclusion, counts: finished.counts, countsUnknown: finished.countsUnknown, at: clock.now() });
    return { job: done, finished };
  } catch (error) {
    options.log.warn({ job: job.id, err: error }, "the confirmation re-run failed: judging the failures without it");
    store.recordJobCancelled(created.id, clock.now());
    return undefined;
  }
}

/** Confirmations of `job` left running by a process that died: cancelled, as the job runs again from the start. */
export function cancelStaleConfirmations(store: Store, job: JobRecord, at: number): void {
  for (const other of store.listJobs(job.buildId)) {
    if (jobTestPlanOf(other).confirms === job.id && (other.state === "running" || other.state === "queued")) store.recordJobCancelled(other.id, at);
  }
}

import { CancelledError, InterruptedError } from "../domain/errors.js";

/** What every queue keeps about a job it is running: how to stop it, and why it was stopped. */
export interface RunningEntry {
  controller: AbortController;
  /** Set once: a cancel (never retried) or a stop (back to the queue, not an attempt). */
  aborted?: "cancel" | "stop";
}

/**
 * Stop a job this process is running, once: the processor's signal aborts
 * with CancelledError for a cancel, InterruptedError for a stop, so its
 * fate (errorFate) follows. False when the job is not running here.
 */
export function abortRunning(running: ReadonlyMap<string, RunningEntry>, jobId: string, why: "cancel" | "stop"): boolean {
  const entry = running.get(jobId);
  if (!entry) return false;
  if (entry.aborted === undefined) {
    entry.aborted = why;
    entry.controller.abort(why === "cancel" ? new CancelledError() : new InterruptedError());
  }
  return true;
}

/**
 * The error type decides a job's fate (STYLE.md §5, like BullMQ's
 * `UnrecoverableError`): a processor throws one of these, or any other error.
 *
 * - `InfrastructureError` (retryable): Docker went away, the environment
 *   build failed… Retried with backoff up to the queue's `maxAttempts`, then
 *   reported as an infrastructure failure: never the project's fault.
 * - `CancelledError`: someone cancelled the job (superseded, user). Never retried.
 * - `InterruptedError`: the abort reason when the process shuts down; the job
 *   goes back to the queue and runs again later. Do not report it as cancelled.
 * - anything else: a bug or a non-retryable failure; not retried.
 */
// One definition of each, shared with the runner (which throws them).
export { CancelledError, InfrastructureError } from "../domain/errors.js";

export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
  readonly retryable = false;

  constructor(message = "the process is shutting down: the job goes back to the queue", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True for errors that ask to be retried (`retryable: true`, by duck typing, across realms and packages). */
export function isRetryable(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === true;
}

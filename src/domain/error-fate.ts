import { CancelledError, InfrastructureError, InterruptedError, ProjectError } from "./errors.js";

/**
 * What becomes of a job whose run threw (STYLE.md §5; like BullMQ, where the
 * error's class decides: `UnrecoverableError` is never retried):
 * - `retry`: an `InfrastructureError`: run again with backoff, up to the
 *   queue's `maxAttempts`, then report it as an infrastructure failure;
 * - `fail`: a `ProjectError` (the project's fault) or, by default, anything
 *   else (a bug: running again will not help): report, never retry;
 * - `cancel`: a `CancelledError`: someone cancelled the job; never retried,
 *   reported by whoever cancelled it;
 * - `interrupt`: an `InterruptedError`: the process is shutting down; the
 *   job goes back to the queue at the same attempt; nothing is reported.
 */
export type ErrorFate = "retry" | "fail" | "cancel" | "interrupt";

/**
 * The fate of `error`, by its class alone. `otherwise` is the fate of errors
 * of no class above: "fail" for the queue (a processor's bug), "retry" at the
 * runner's boundary (an unexpected Docker or git error is infrastructure).
 */
export function errorFate(error: unknown, otherwise: ErrorFate = "fail"): ErrorFate {
  if (error instanceof InfrastructureError) return "retry";
  if (error instanceof ProjectError) return "fail";
  if (error instanceof CancelledError) return "cancel";
  if (error instanceof InterruptedError) return "interrupt";
  return otherwise;
}

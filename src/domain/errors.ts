/**
 * The errors whose class decides a job's fate (see `errorFate` in
 * ./error-fate.ts, the one place that reads them). Thrown by the runner and
 * the app alike; nothing else about an error (its name, a `kind` field)
 * decides anything.
 */

/**
 * Infrastructure failed: the Docker daemon went away, an image could not be
 * built, the disk filled up. Never the project's fault, so the job is retried
 * (a bounded number of times) and then reported as an infrastructure error.
 */
export class InfrastructureError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InfrastructureError";
  }
}

/**
 * The project asked for something that cannot work (a requirement no index
 * has, conflicting pins, a source distribution that does not build): running
 * again will not help; reported as the project's failure with this message.
 */
export class ProjectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProjectError";
  }
}

/** The job was cancelled (superseded, shut down, asked to). Never retried. */
export class CancelledError extends Error {
  constructor(message = "the job was cancelled", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CancelledError";
  }
}

/**
 * The abort reason when the process shuts down: the job goes back to the
 * queue (same attempt) and runs again later. Not a cancellation, not reported.
 */
export class InterruptedError extends Error {
  constructor(message = "the process is shutting down: the job goes back to the queue", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InterruptedError";
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Infrastructure failed: the Docker daemon went away, an image could not be
 * built, the disk filled up. Never the project's fault, so the job is retried
 * (a bounded number of times) and then reported as an infrastructure error.
 */
export class InfrastructureError extends Error {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InfrastructureError";
  }
}

/** The job was cancelled (superseded, shut down, asked to). Never retried. */
export class CancelledError extends Error {
  readonly retryable = false;
  constructor(message = "the job was cancelled", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CancelledError";
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * A database service could not be provided for a cell. `kind` decides the
 * job's fate like EnvironmentError's: "project" (the repository asked for
 * something this installation lacks, or its server arguments stop the
 * server) is reported as the cell's failure with this message; an
 * "infrastructure" one (the daemon, a missing default image) is retried.
 */
export class ServiceError extends Error {
  override readonly name = "ServiceError";
  readonly retryable: boolean;
  constructor(
    readonly kind: "project" | "infrastructure",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = kind === "infrastructure";
  }
}

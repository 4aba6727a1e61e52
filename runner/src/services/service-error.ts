import { InfrastructureError, ProjectError } from "../../../src/domain/errors.js";

/**
 * A database service could not be provided for a cell, as the domain's error
 * classes (their class decides the job's fate, src/domain/error-fate.ts):
 * "project" (the repository asked for a version this installation lacks, or
 * its server arguments stop the server) fails the cell with this message;
 * "infrastructure" (the daemon, a missing default image, a server that never
 * got ready) is retried.
 */
export function serviceError(kind: "project" | "infrastructure", message: string, options?: { cause?: unknown }): ProjectError | InfrastructureError {
  return kind === "project" ? new ProjectError(message, options) : new InfrastructureError(message, options);
}

/** True for an error made by {@link serviceError} (or any domain-classified error). */
export function isClassified(error: unknown): error is ProjectError | InfrastructureError {
  return error instanceof ProjectError || error instanceof InfrastructureError;
}

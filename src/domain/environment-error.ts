/**
 * Why a cell environment could not be made. `project`: the repository asked
 * for something that cannot be installed (no such package or version,
 * conflicting pins, a source distribution that does not build); rerunning will
 * not help, the message says what to change. `infrastructure`: Docker, the
 * disk or the package index failed; the job may be retried.
 */
export type EnvironmentErrorKind = "project" | "infrastructure";

export class EnvironmentError extends Error {
  readonly kind: EnvironmentErrorKind;
  readonly retryable: boolean;
  constructor(kind: EnvironmentErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EnvironmentError";
    this.kind = kind;
    this.retryable = kind === "infrastructure";
  }
}

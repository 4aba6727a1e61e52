/**
 * Why a checkout failed, so the worker can decide the job's fate:
 * - `commit-not-found`: the sha is in no fetched ref (force-pushed away, or a
 *   fork PR without its `fetchRefs`); retrying rarely helps.
 * - `git-failed`: git itself failed (network, credentials, disk): infrastructure,
 *   worth retrying.
 * - `invalid-request`: a malformed url, sha, ref or a non-empty workspace dir: a bug
 *   in the caller, never retried.
 * - `aborted`: the caller's AbortSignal fired; never retried.
 * - `file-too-large`: `readFiles` was asked for a file over its `maxBytes` (never read):
 *   the repository's doing, a config error.
 */
export type CheckoutErrorCode = "commit-not-found" | "ref-not-found" | "git-failed" | "invalid-request" | "aborted" | "file-too-large";

/**
 * The one error type the checkout throws. Its message and its `cause` never hold
 * a token or URL credentials: git's stderr is scrubbed before it gets here.
 */
export class CheckoutError extends Error {
  override readonly name = "CheckoutError";
  readonly code: CheckoutErrorCode;
  /** For `file-too-large`: which file, and its size in bytes. */
  readonly file?: { path: string; size: number };

  constructor(code: CheckoutErrorCode, message: string, options?: { cause?: unknown; file?: { path: string; size: number } }) {
    super(message, options);
    this.code = code;
    this.file = options?.file;
  }
}

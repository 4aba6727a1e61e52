/**
 * Why the bridge refuses a notification: the HTTP status and a one-line
 * message saying what to fix. Nothing is recorded or queued when it is thrown.
 */
export class BridgeRequestError extends Error {
  override readonly name = "BridgeRequestError";
  /** 400 malformed, 401 unauthenticated or stale, 404 unknown repository, 405, 409 replay, 413 too large. */
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

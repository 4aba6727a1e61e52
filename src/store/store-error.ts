/**
 * Every failure of the store surfaces as a `StoreError`: what could not be
 * done, why, and how to fix it, with the SQLite error as `cause`. When it is
 * thrown from a write, the write's transaction has been rolled back.
 */
export type StoreErrorCode = "locked" | "full" | "read-only" | "corrupt" | "cannot-open" | "too-new" | "other";

export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly code: StoreErrorCode;

  constructor(options: { code: StoreErrorCode; message: string; cause?: unknown }) {
    super(options.message, { cause: options.cause });
    this.code = options.code;
  }
}

export interface ToStoreErrorOptions {
  /** What was being done, completing "could not …": "record the build". */
  action: string;
  /** The database file, named in the message. */
  path: string;
  /** The busy timeout in force, named in lock messages. */
  busyTimeoutMs: number;
}

/**
 * Translates a thrown SQLite error into a `StoreError` with a message that
 * says how to fix it. A `StoreError` passes through unchanged.
 */
export function toStoreError(error: unknown, options: ToStoreErrorOptions): StoreError {
  if (error instanceof StoreError) return error;
  const sqliteCode = typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : "";
  const detail = error instanceof Error ? error.message : String(error);
  const { action, path, busyTimeoutMs } = options;
  const base = `Could not ${action}`;
  if (sqliteCode.startsWith("SQLITE_BUSY") || sqliteCode.startsWith("SQLITE_LOCKED")) {
    return new StoreError({
      code: "locked",
      cause: error,
      message:
        `${base}: the database ${path} is locked by another connection (waited ${busyTimeoutMs} ms). ` +
        "Nothing was written. Is a second Pony CI process, or a tool like the sqlite3 shell, using the same data directory? " +
        "Stop it, or raise the busy timeout.",
    });
  }
  if (sqliteCode.startsWith("SQLITE_FULL")) {
    return new StoreError({
      code: "full",
      cause: error,
      message:
        `${base}: the disk holding ${path} is full (or the database reached its size limit). ` +
        "Nothing was written. Free some disk space (old job logs are the biggest rows), then retry.",
    });
  }
  if (sqliteCode.startsWith("SQLITE_READONLY") || sqliteCode.startsWith("SQLITE_PERM")) {
    return new StoreError({
      code: "read-only",
      cause: error,
      message: `${base}: the database ${path} is read-only (${detail}). Give the Pony CI user write access to the file and its directory.`,
    });
  }
  if (sqliteCode.startsWith("SQLITE_CORRUPT") || sqliteCode.startsWith("SQLITE_NOTADB")) {
    return new StoreError({
      code: "corrupt",
      cause: error,
      message: `${base}: ${path} is not a valid Pony CI database (${detail}). Restore a backup, or move the file away to start afresh.`,
    });
  }
  if (sqliteCode.startsWith("SQLITE_CANTOPEN") || sqliteCode.startsWith("SQLITE_IOERR")) {
    return new StoreError({
      code: "cannot-open",
      cause: error,
      message: `${base}: cannot read or write ${path} (${detail}). Check that the data directory exists, is writable and is on a local disk.`,
    });
  }
  return new StoreError({ code: "other", cause: error, message: `${base} in ${path}: ${detail}` });
}

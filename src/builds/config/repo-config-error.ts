/**
 * A repository's CI configuration cannot be used: a broken
 * `.github/ponyci.yml`, or a matrix (from any source) that leaves nothing to
 * run or too much. Never retried: the caller reports it as one failing check
 * run named for the config, with an annotation at `file`:`line`.
 * The message says what is wrong and how to fix it.
 */
export class RepoConfigError extends Error {
  override readonly name = "RepoConfigError";
  /** Path of the offending file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the offending value (1 when nothing more precise is known). */
  readonly line: number;
  /** 1-based column, when known. */
  readonly column: number | undefined;

  constructor(options: RepoConfigErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = options.file;
    this.line = options.line ?? 1;
    this.column = options.column;
  }
}

/** Constructor options for {@link RepoConfigError}. */
export interface RepoConfigErrorOptions {
  file: string;
  line?: number;
  column?: number;
  message: string;
  cause?: unknown;
}

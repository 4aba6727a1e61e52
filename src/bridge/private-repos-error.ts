/**
 * The private repositories file cannot be used. The message names the file,
 * the line and how to fix it; the server refuses to start with it.
 */
export class PrivateReposError extends Error {
  override readonly name = "PrivateReposError";
  readonly file: string;
  /** 1-based line of the offending value (1 when nothing more precise is known). */
  readonly line: number;

  constructor(options: { file: string; line?: number; message: string; cause?: unknown }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = options.file;
    this.line = options.line ?? 1;
  }
}

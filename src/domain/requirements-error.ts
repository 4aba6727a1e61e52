import { EnvironmentError } from "./environment-error.js";

/**
 * A requirement the repository wrote that Pony CI will not hand to pip (an
 * option, a URL, a path, a character pip would read as a line break, bad
 * syntax): a config error, the repository's to fix, never retried. `file`
 * and `line` say where; the message says what to write instead.
 */
export class RequirementsError extends EnvironmentError {
  readonly file: string;
  readonly line?: number;
  constructor(where: { file: string; line?: number }, reason: string) {
    super("project", `${where.file}${where.line ? `, line ${where.line}` : ""}: ${reason}`);
    this.name = "RequirementsError";
    this.file = where.file;
    this.line = where.line;
  }
}

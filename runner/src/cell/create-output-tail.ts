/** The last lines a failing command printed, kept for the cell's failure message. */
export interface OutputTail {
  /** Every output line of the test container, in arrival order (both streams). */
  push(line: string): void;
  /** The lines of the command that failed `step` ("commands[0]", "test command"); the latest lines when it was never marked. */
  linesOf(step: string | undefined): string[];
}

/** `[ponyci] <step> failed: exit N`, the harness's line right after a failing command (runner/harness/README.md). */
const failedLine = /^\[ponyci\] (.{1,60}) failed: exit -?\d+/;

/**
 * Keeps the last `maxLines` lines of the tests' own output (the harness's
 * `[ponyci]` lines left out), each cut to `maxLineChars`, with control
 * characters and terminal escapes made visible: the text goes to a
 * terminal, a check run and a web page. At the harness's "failed" line the
 * tail is set aside for that step, so `commands_post` output that follows
 * does not push the failing command's lines out. The marker is read from
 * the tests' own output, so a test could print a false one: that changes
 * only which lines are shown, never a verdict.
 */
export function createOutputTail(options: { maxLines?: number; maxLineChars?: number } = {}): OutputTail {
  const maxLines = options.maxLines ?? 20;
  const maxLineChars = options.maxLineChars ?? 300;
  let recent: string[] = [];
  const marked = new Map<string, string[]>();
  return {
    push(line) {
      const failed = failedLine.exec(line);
      if (failed) {
        if (!marked.has(failed[1] ?? "")) marked.set(failed[1] ?? "", recent);
        recent = [];
        return;
      }
      if (line.startsWith("[ponyci] ")) return;
      recent = [...recent.slice(-(maxLines - 1)), visible(line, maxLineChars)];
    },
    linesOf(step) {
      return (step !== undefined ? marked.get(step) : undefined) ?? recent;
    },
  };
}

/** Text safe for a terminal and a page: ANSI sequences dropped, other control characters as \xNN, cut to `max` characters. */
export function visible(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

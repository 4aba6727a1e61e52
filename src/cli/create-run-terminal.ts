import { createColors } from "picocolors";

interface Output {
  write(text: string): void;
}

/** Where `ponyci run` writes, and what that place is. */
export interface TerminalInfo {
  /** stdout is a terminal (process.stdout.isTTY). */
  isTTY: boolean;
  /** Its width, when known: the live line is cut to it. */
  columns?: number;
  /** The process's environment: NO_COLOR, FORCE_COLOR, TERM. */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Colour only on a terminal that can show it: never when NO_COLOR is set
 * and not empty (https://no-color.org), nor on TERM=dumb; FORCE_COLOR
 * (not "0") asks for it anywhere, as Node and most tools read it. Pure.
 */
export function wantsColour(terminal: TerminalInfo): boolean {
  const { env } = terminal;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return terminal.isTTY && env.TERM !== "dumb";
}

/** What `ponyci run` prints through. */
export interface RunTerminal {
  /** A line of progress: cells starting and ending, failures, notes. Nothing with --quiet. */
  line(text: string): void;
  /** The live progress line (only on a terminal, never with --quiet): redrawn in place under the lines. */
  status(text: string): void;
  /** What --quiet still prints: the final table, the verdict, a config error. */
  result(text: string): void;
  /** Conclusions' marks and words, and the verdict, coloured (green success, red failure, yellow the rest), when colour is on. */
  paint(text: string): string;
  /** True when there is a live line (a terminal, not --quiet): periodic "so far" lines are then not needed. */
  readonly live: boolean;
}

const ESC = "\u001b[";

/**
 * `ponyci run`'s output: plain lines anywhere (logs, CI, pipes); on a
 * terminal also colour and one live progress line, rewritten with `\r` and
 * erase-line, that every other line is printed above. --quiet keeps only
 * results. Colours are picocolors'; the live line is two escape codes,
 * not a library (log-update and the like would redraw the whole screen).
 */
export function createRunTerminal(options: { out: Output; terminal: TerminalInfo; quiet?: boolean }): RunTerminal {
  const { out, terminal } = options;
  const colours = createColors(wantsColour(terminal));
  const live = terminal.isTTY && !options.quiet;
  let shown = "";
  // Results are set apart from the lines above them by a blank line; with nothing above (--quiet), no blank line.
  let printed = false;
  const clear = () => {
    if (shown !== "") out.write(`\r${ESC}2K`);
  };
  const redraw = () => {
    if (shown !== "") out.write(colours.dim(shown));
  };
  const paint = (text: string) =>
    text
      .replace(/✓|\bsuccess\b|^All \d+ cells passed$/gm, (m) => colours.green(m))
      .replace(/✗|\bfailure\b|^\d+ of \d+ cells passed$/gm, (m) => colours.red(m))
      .replace(/⌛|⊘|\btimed_out\b|\bcancelled\b/g, (m) => colours.yellow(m));
  return {
    live,
    paint,
    line(text) {
      if (options.quiet) return;
      clear();
      out.write(`${paint(text)}\n`);
      printed = true;
      redraw();
    },
    status(text) {
      if (!live) return;
      clear();
      const width = Math.max(20, (terminal.columns || 80) - 1);
      shown = text.length > width ? `${text.slice(0, width - 1)}…` : text;
      redraw();
    },
    result(text) {
      // The live line goes for good: results are the last thing printed.
      clear();
      shown = "";
      out.write(`${paint(printed ? text : text.replace(/^\n+/, ""))}\n`);
      printed = true;
    },
  };
}

import { CHECK_RUN_LIMITS } from "./check-run-limits.js";
import { fenceCodeBlock, sanitizeText } from "./safe-text.js";
import { truncateText } from "./format.js";

export interface RenderLogTailOptions {
  /** The cell's last lines of output, oldest first (untrusted). */
  lines: readonly string[];
  /** Size limit in UTF-8 bytes (default and maximum: GitHub's 65535). */
  maxBytes?: number;
}

/**
 * The check run's `text`: a one-line heading, then the end of the log in a
 * code fence the log cannot close. Keeps the newest lines that fit in
 * `maxBytes` (a single line too long on its own keeps its end) and says how
 * many older lines it left out.
 */
export function renderLogTail(options: RenderLogTailOptions): string {
  const maxBytes = Math.min(options.maxBytes ?? CHECK_RUN_LIMITS.outputBytes, CHECK_RUN_LIMITS.outputBytes);
  const lines = options.lines.map((line) => sanitizeText(line).replace(/\n+$/, ""));
  if (lines.length === 0) return "_No output was captured._\n";

  // The fence grows with the longest backtick run kept, so shrink the budget until the whole text fits.
  let budget = maxBytes - 200;
  for (;;) {
    const text = build(lines, budget);
    const size = Buffer.byteLength(text, "utf8");
    if (size <= maxBytes) return text;
    budget -= size - maxBytes + 16;
  }
}

function build(lines: readonly string[], budget: number): string {
  const kept: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? "";
    const size = Buffer.byteLength(line, "utf8") + 1;
    if (used + size > budget) {
      if (kept.length === 0) kept.push(truncateText(line, { maxBytes: Math.max(0, budget - 1), keep: "end" }));
      break;
    }
    kept.push(line);
    used += size;
  }
  kept.reverse();
  const left = lines.length - kept.length;
  const heading = left > 0
    ? `**Last ${kept.length} lines of output** (${left} older ${left === 1 ? "line" : "lines"} left out to fit GitHub's size limit)`
    : `**Output** (${kept.length} ${kept.length === 1 ? "line" : "lines"})`;
  return `${heading}\n\n${fenceCodeBlock(kept.join("\n"))}`;
}

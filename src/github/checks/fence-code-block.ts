import { sanitizeText } from "./sanitize-text.js";

/**
 * Wraps untrusted text in a fenced Markdown code block it cannot close: the
 * fence is one backtick longer than the longest backtick run in the text (at
 * least three), which CommonMark requires of a closing fence. The result ends
 * with a newline.
 */
export function fenceCodeBlock(text: string, info = "text"): string {
  const body = sanitizeText(text).replace(/\n+$/, "");
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longestRun + 1));
  return `${fence}${info}\n${body}\n${fence}\n`;
}

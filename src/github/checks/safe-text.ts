/* eslint-disable no-control-regex -- matching control characters is the point of sanitizeText */
/**
 * Untrusted text (test names, messages, tracebacks, log lines: all written
 * by the repository under test) made safe for GitHub: first sanitized for a
 * JSON body, then made inert for the place it goes (Markdown line, HTML
 * block, fenced code block). Read and tested together (test/github/safe-text.test.ts).
 */
const ANSI_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Makes untrusted output (test messages, tracebacks, log lines) safe to put
 * in a JSON body and readable on GitHub: drops ANSI escape sequences and
 * control characters (keeping tab and newline), turns CR/CRLF into LF, and
 * replaces lone surrogates with U+FFFD. Does not escape Markdown or HTML.
 */
export function sanitizeText(text: string): string {
  return text
    .replace(ANSI_SEQUENCE, "")
    .replace(/\r\n?/g, "\n")
    .replace(CONTROL, "")
    .replace(LONE_SURROGATE, "\ufffd");
}

/**
 * Makes untrusted text inert as one line inside an HTML block of GitHub
 * Markdown (e.g. `<summary>`), where Markdown is not parsed: whitespace runs
 * become one space (a blank line would end the HTML block), and `& < > " '`,
 * backticks and `@` (no mentions) become character references.
 */
export function escapeForHtmlBlock(text: string): string {
  return sanitizeText(text)
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[&<>"'`@]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * Makes untrusted text inert as one line of GitHub Markdown (paragraphs and
 * table cells): whitespace runs become one space, `&`, `<`, `>` become HTML
 * entities, and every other ASCII punctuation character is backslash-escaped,
 * so no emphasis, link, code span, table pipe, heading, @mention or #reference
 * can start inside it.
 */
export function escapeMarkdown(text: string): string {
  return sanitizeText(text)
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[!-/:-@[-`{-~]/g, (ch) => {
      if (ch === "&") return "&amp;";
      if (ch === "<") return "&lt;";
      if (ch === ">") return "&gt;";
      return `\\${ch}`;
    });
}

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

import { sanitizeText } from "./sanitize-text.js";

/**
 * Makes untrusted text inert as one line inside an HTML block of GitHub
 * Markdown (e.g. `<summary>`), where Markdown is not parsed: whitespace runs
 * become one space (a blank line would end the HTML block), and `& < > " '`,
 * backticks and `@` (no mentions) become character references.
 */
export function escapeHtml(text: string): string {
  return sanitizeText(text)
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[&<>"'`@]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

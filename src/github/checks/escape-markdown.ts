import { sanitizeText } from "./sanitize-text.js";

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

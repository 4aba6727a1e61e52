import { sanitizeText } from "./sanitize-text.js";

/** First non-blank line of untrusted text, trimmed and sanitized; undefined if there is none. */
export function firstLine(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return sanitizeText(text).split("\n").map((line) => line.trim()).find(Boolean);
}

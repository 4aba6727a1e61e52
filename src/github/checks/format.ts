import type { TestCounts } from "../../domain/events.js";
import { cellName, type Cell } from "../../domain/cell.js";
import { sanitizeText } from "./safe-text.js";

/*
 * The small formatters of check-run titles and summaries: counts, durations,
 * timestamps, names, and cutting text to GitHub's limits. Read and tested
 * together (test/github/format.test.ts).
 */

/**
 * Test counts as a phrase: "212 passed, 1 failed", "3 passed, 2 errors,
 * 1 skipped". Passed always shows; the others only when non-zero. "no tests"
 * when nothing ran.
 */
export function formatCounts(counts: TestCounts): string {
  if (counts.total === 0 && counts.passed + counts.failed + counts.error + counts.skipped + counts.xfail + counts.xpass === 0) return "no tests";
  const parts = [`${counts.passed} passed`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.error > 0) parts.push(`${counts.error} ${counts.error === 1 ? "error" : "errors"}`);
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  if (counts.xfail > 0) parts.push(`${counts.xfail} xfailed`);
  if (counts.xpass > 0) parts.push(`${counts.xpass} xpassed`);
  return parts.join(", ");
}

/** Human durations are shared with the CLI and the runner: one copy, in the domain. */
export { formatDuration } from "../../domain/format-duration.js";

/** A time as GitHub's check-run timestamps want it: `YYYY-MM-DDTHH:MM:SSZ` (UTC, no milliseconds). */
export function formatTimestamp(time: Date | number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** First non-blank line of untrusted text, trimmed and sanitized; undefined if there is none. */
export function firstLine(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return sanitizeText(text).split("\n").map((line) => line.trim()).find(Boolean);
}

/** Where a repository's Pony CI configuration lives, by default. */
export const DEFAULT_CONFIG_PATH = ".github/ponyci.yml";

/**
 * Check-run name of one matrix cell: "Python 3.13 · Django 5.2". Stable for a
 * cell, so a re-run replaces the run of the same name in GitHub's UI.
 */
export function checkRunName(cell: Cell): string {
  return cellName(cell);
}

/**
 * Name of the single check run reporting an unusable configuration (no
 * cells could be planned): "Pony CI · .github/ponyci.yml".
 */
export function configErrorCheckRunName(configPath: string = DEFAULT_CONFIG_PATH): string {
  return `Pony CI · ${configPath.replace(/^\.?\/+/, "")}`;
}

export interface TruncateTextOptions {
  /** Limit in UTF-8 bytes. */
  maxBytes?: number;
  /** Limit in UTF-16 code units (JavaScript `length`; never less than the code points GitHub counts). */
  maxChars?: number;
  /** Part to keep: "start" (default), "end", or "middle" (keeps both ends, cuts the middle). */
  keep?: "start" | "end" | "middle";
  /** With keep "middle": share of the budget for the start (default 0.5). */
  headShare?: number;
  /** Put where text was cut; "{count}" becomes the number of characters cut. Default "…". */
  marker?: string;
  /** Cut at line breaks where the kept part has one, so no line is shown half. */
  wholeLines?: boolean;
}

/**
 * Cuts `text` to fit every given limit, marker included, without splitting a
 * surrogate pair. Text that already fits is returned unchanged. If not even
 * the marker fits, returns as much of the marker as fits.
 */
export function truncateText(text: string, options: TruncateTextOptions): string {
  const maxBytes = options.maxBytes ?? Infinity;
  const maxChars = options.maxChars ?? Infinity;
  if (text.length <= maxChars && (maxBytes === Infinity || Buffer.byteLength(text, "utf8") <= maxBytes)) return text;

  const points = Array.from(text);
  const marker = options.marker ?? "…";
  const markerFor = (count: number) => marker.replaceAll("{count}", String(count));
  const costOf = (s: string) => ({ chars: s.length, bytes: Buffer.byteLength(s, "utf8") });
  // The marker naming all characters is the longest one we could need.
  const markerCost = costOf(markerFor(points.length));
  const budget = { chars: maxChars - markerCost.chars, bytes: maxBytes - markerCost.bytes };
  if (budget.chars < 0 || budget.bytes < 0) return takeFrom(Array.from(markerFor(points.length)), maxChars, maxBytes, "start").join("");

  const keep = options.keep ?? "start";
  let head: string[] = [];
  let tail: string[] = [];
  if (keep === "start") head = takeFrom(points, budget.chars, budget.bytes, "start");
  else if (keep === "end") tail = takeFrom(points, budget.chars, budget.bytes, "end");
  else {
    const share = options.headShare ?? 0.5;
    head = takeFrom(points, Math.floor(budget.chars * share), Math.floor(budget.bytes * share), "start");
    const used = costOf(head.join(""));
    tail = takeFrom(points.slice(head.length), budget.chars - used.chars, budget.bytes - used.bytes, "end");
  }
  if (options.wholeLines) {
    const headEnd = head.lastIndexOf("\n");
    if (headEnd >= 0) head = head.slice(0, headEnd + 1);
    const tailStart = tail.indexOf("\n");
    if (tailStart >= 0 && tailStart < tail.length - 1) tail = tail.slice(tailStart + 1);
  }
  const cut = points.length - head.length - tail.length;
  return head.join("") + markerFor(cut) + tail.join("");
}

/** The longest run of whole code points from one end within both budgets. */
function takeFrom(points: string[], maxChars: number, maxBytes: number, from: "start" | "end"): string[] {
  let chars = 0;
  let bytes = 0;
  let count = 0;
  for (let i = 0; i < points.length; i++) {
    const point = points[from === "start" ? i : points.length - 1 - i] ?? "";
    chars += point.length;
    bytes += Buffer.byteLength(point, "utf8");
    if (chars > maxChars || bytes > maxBytes) break;
    count++;
  }
  return from === "start" ? points.slice(0, count) : points.slice(points.length - count);
}

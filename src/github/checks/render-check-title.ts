import type { FinishedEvent } from "../../domain/events.js";
import { firstLine, formatCounts, formatDuration, truncateText } from "./format.js";
import { normalizeAnnotationPath } from "./normalize-annotation-path.js";
import { sanitizeText } from "./safe-text.js";

/** Titles longer than this are cut: GitHub shows the title on one line. */
export const MAX_TITLE_CHARS = 255;

export interface RenderCheckTitleOptions {
  finished: FinishedEvent;
  /** The wall-clock limit the cell hit; the timed-out title names it (default: the cell's duration). */
  timeoutMs?: number;
  /** Container paths of the checkout to strip from the error's location (default ["/workspace/"]). */
  workspacePrefixes?: readonly string[];
}

/**
 * One-line title of a finished cell, plain text (GitHub does not render
 * Markdown in titles), at most 255 characters:
 * - "212 passed, 1 failed in 4.6 s" (or "No tests ran in 0.3 s", or "Test counts
 *   unknown (no runner Pony CI reads) in 2 s" when the tests could not be read)
 * - "Could not start: ModuleNotFoundError: No module named 'x' (mysite/settings.py:7)"
 * - "Timed out after 20 min (120 passed so far)", "Cancelled after 1 min 3 s"
 * - "Infrastructure error: <first line of the runner's message>"
 */
export function renderCheckTitle(options: RenderCheckTitleOptions): string {
  const { finished } = options;
  const { counts, error } = finished;
  const ran = counts.total > 0 ? formatCounts(counts) : undefined;
  const soFar = ran ? ` (${ran} so far)` : "";
  let title: string;
  switch (finished.conclusion) {
    case "error":
      title = `Infrastructure error: ${firstLine(error?.message) ?? "the runner failed without saying why"}`;
      break;
    case "timed_out":
      title = `Timed out after ${formatDuration(options.timeoutMs ?? finished.durationMs)}${soFar}`;
      break;
    case "cancelled":
      title = `Cancelled after ${formatDuration(finished.durationMs)}${soFar}`;
      break;
    default: {
      const none = finished.countsUnknown ? "Test counts unknown (no runner Pony CI reads)" : "No tests ran";
      const took = `${ran ?? none} in ${formatDuration(finished.testDurationMs)}`;
      if (error) {
        const message = firstLine(error.message) ?? "the test process failed";
        const path = error.location ? normalizeAnnotationPath(error.location.path, options.workspacePrefixes) : undefined;
        const where = path && error.location ? ` (${path}:${error.location.line})` : "";
        title = ran ? `${took}, then crashed: ${message}${where}` : `Could not start: ${message}${where}`;
      } else if (finished.conclusion === "failure" && counts.failed + counts.error === 0) {
        const code = finished.exitCode !== undefined ? `exited with code ${finished.exitCode}` : "failed";
        title = `${took}, but the test process ${code}`;
      } else {
        title = took;
      }
    }
  }
  return truncateText(sanitizeText(title).replace(/\s+/g, " ").trim(), { maxChars: MAX_TITLE_CHARS });
}

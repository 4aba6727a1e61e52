import type { SourceLocation, TestResult } from "../../domain/events.js";
import type { CheckAnnotation } from "./check-run-payload.js";
import { CHECK_RUN_LIMITS } from "./check-run-limits.js";
import { DEFAULT_WORKSPACE_PREFIXES, normalizeAnnotationPath } from "./normalize-annotation-path.js";
import { sanitizeText } from "./safe-text.js";
import { truncateText } from "./format.js";

/** Annotations per check run unless configured otherwise. */
export const DEFAULT_MAX_ANNOTATIONS = 150;

export interface BuildAnnotationsOptions {
  /** Every test result of the cell; only `failed` and `error` ones are annotated. */
  tests: readonly TestResult[];
  /** Why the suite could not start (bad settings, import error). Never pass infrastructure errors: they are not in the code. */
  startError?: { message: string; location?: SourceLocation; traceback?: string };
  /** Cap on the annotations returned, the final notice included (default 150). */
  maxAnnotations?: number;
  /** Container paths of the checkout to strip (default ["/workspace/"]). */
  workspacePrefixes?: readonly string[];
  /** A failure's bucket (issue 15): prefixes the title ("new: <id>") and sets the level. */
  tagOf?: (test: TestResult) => { tag: string; level: "failure" | "warning" } | undefined;
}

const TRUNCATION_MARKER = "\n… {count} characters cut …\n";

/**
 * Failure annotations for the failed and erroring tests (and the
 * crash-before-start error first), at their file and line, with no columns.
 * Title is the test id (≤ 255 chars), message the failure message, raw_details
 * the traceback (each ≤ 64 KB, cut in the middle: a traceback's end names the
 * exception). Results without a usable location are left out (the summary
 * still lists them); duplicates are dropped. When more than `maxAnnotations`
 * remain, the last slot becomes a notice saying how many were left out.
 */
export function buildAnnotations(options: BuildAnnotationsOptions): CheckAnnotation[] {
  const max = options.maxAnnotations ?? DEFAULT_MAX_ANNOTATIONS;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxAnnotations must be a positive integer, got ${max}`);
  const prefixes = options.workspacePrefixes ?? DEFAULT_WORKSPACE_PREFIXES;

  const candidates: CheckAnnotation[] = [];
  const { startError } = options;
  if (startError?.location) {
    const annotation = toAnnotation(startError.location, "Could not start the test suite", startError.message, startError.traceback, prefixes);
    if (annotation) candidates.push(annotation);
  }
  for (const test of options.tests) {
    if ((test.outcome !== "failed" && test.outcome !== "error") || !test.location) continue;
    const fallback = test.outcome === "error" ? "The test raised an error." : "The test failed.";
    const message = test.message?.trim() ? test.message : lastLine(test.traceback) ?? fallback;
    const tag = options.tagOf?.(test);
    const annotation = toAnnotation(test.location, tag ? `${tag.tag}: ${test.id}` : test.id, message, test.traceback, prefixes);
    if (annotation && tag) annotation.annotation_level = tag.level;
    if (annotation) candidates.push(annotation);
  }

  const seen = new Set<string>();
  const unique = candidates.filter((a) => {
    const key = JSON.stringify([a.path, a.start_line, a.title, a.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.length <= max) return unique;

  const kept = unique.slice(0, max - 1);
  const firstLeftOut = unique[max - 1] as CheckAnnotation;
  const leftOut = unique.length - kept.length;
  kept.push({
    path: firstLeftOut.path,
    start_line: firstLeftOut.start_line,
    end_line: firstLeftOut.end_line,
    annotation_level: "notice",
    title: `${leftOut} more failures not annotated`,
    message: `Pony CI annotates at most ${max} places per check run; ${leftOut} more failures were left out. The check run summary and log list them.`,
  });
  return kept;
}

function toAnnotation(location: SourceLocation, title: string, message: string, traceback: string | undefined, prefixes: readonly string[]): CheckAnnotation | undefined {
  const path = normalizeAnnotationPath(location.path, prefixes);
  if (!path) return undefined;
  const line = Number.isFinite(location.line) && location.line >= 1 ? Math.floor(location.line) : 1;
  const cleanMessage = sanitizeText(message).trim() || "The test failed.";
  const annotation: CheckAnnotation = {
    path,
    start_line: line,
    end_line: line,
    annotation_level: "failure",
    title: truncateText(sanitizeText(title).replace(/\s+/g, " ").trim(), { maxChars: CHECK_RUN_LIMITS.annotationTitleChars, keep: "middle" }),
    message: truncateText(cleanMessage, { maxBytes: CHECK_RUN_LIMITS.annotationBytes, keep: "middle", marker: TRUNCATION_MARKER }),
  };
  const details = traceback ? sanitizeText(traceback).trimEnd() : "";
  if (details) {
    annotation.raw_details = truncateText(details, { maxBytes: CHECK_RUN_LIMITS.annotationBytes, keep: "middle", headShare: 0.25, marker: TRUNCATION_MARKER, wholeLines: true });
  }
  return annotation;
}

function lastLine(text: string | undefined): string | undefined {
  return text?.split("\n").map((line) => line.trim()).filter(Boolean).at(-1);
}

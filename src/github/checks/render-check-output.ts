import type { Cell } from "../../domain/cell.js";
import type { FinishedEvent, TestResult } from "../../domain/events.js";
import { buildAnnotations } from "./build-annotations.js";
import type { CheckAnnotation } from "./check-run-payload.js";
import { renderCheckSummary } from "./render-check-summary.js";
import { renderCheckTitle } from "./render-check-title.js";
import { renderLogTail } from "./render-log-tail.js";
import type { FailureReport } from "../../history/classify-failures.js";
import { annotationTagOf, renderFailureReport } from "./render-failure-report.js";
import { MAX_TITLE_CHARS } from "./render-check-title.js";
import { truncateText } from "./format.js";

export interface RenderCheckOutputOptions {
  cell: Cell;
  finished: FinishedEvent;
  /** Every test result the cell reported. */
  tests: readonly TestResult[];
  /** The cell's last lines of output, oldest first. */
  logTail: readonly string[];
  /** The wall-clock limit, named in a timed-out title (default: the cell's duration). */
  timeoutMs?: number;
  /** Cap on annotations, final notice included (default 150). */
  maxAnnotations?: number;
  /** Container paths of the checkout to strip from locations (default ["/workspace/"]). */
  workspacePrefixes?: readonly string[];
  /** Why each test failed (issue 15): leads the title and summary, tags the annotations. */
  failureReport?: FailureReport;
}

/** A finished cell's check-run output; every field already within GitHub's limits. */
export interface RenderedCheckOutput {
  title: string;
  summary: string;
  text: string;
  /** All of them: batchAnnotations / planCheckWrites split them into requests. */
  annotations: CheckAnnotation[];
}

/**
 * Renders a finished cell for its check run: plain-text title with counts
 * and time (or why it did not run), Markdown summary, the log tail as `text`,
 * and failure annotations. Infrastructure errors get no annotations: nothing
 * in the repository is at fault.
 */
export function renderCheckOutput(options: RenderCheckOutputOptions): RenderedCheckOutput {
  const { cell, finished, tests } = options;
  const { workspacePrefixes } = options;
  const { failureReport } = options;
  const plainTitle = renderCheckTitle({ finished, timeoutMs: options.timeoutMs, workspacePrefixes });
  const title = failureReport?.headline ? truncateText(`${failureReport.headline} · ${plainTitle}`, { maxChars: MAX_TITLE_CHARS }) : plainTitle;
  const startError = finished.conclusion === "error" ? undefined : finished.error;
  const report = failureReport ? renderFailureReport(failureReport) : undefined;
  return {
    title,
    summary: renderCheckSummary({ cell, finished, tests, title, workspacePrefixes, report }),
    text: renderLogTail({ lines: options.logTail }),
    annotations: buildAnnotations({
      tests,
      startError,
      maxAnnotations: options.maxAnnotations,
      workspacePrefixes,
      tagOf: failureReport ? annotationTagOf(failureReport) : undefined,
    }),
  };
}

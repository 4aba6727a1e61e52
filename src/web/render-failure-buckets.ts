import { cellName } from "../domain/cell.js";
import type { TestResult } from "../domain/events.js";
import type { FailureBucket } from "../history/classify-failures.js";
import type { CellFailure, CellFailures } from "../store/cell-failure-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import { formatAgo } from "./format.js";
import { html, type SafeHtml } from "../util/html.js";

export interface FailureBucketsView {
  buildId: number;
  /** The build's cells (confirmation re-runs excluded: their verdict is in their cell's report). */
  jobs: readonly JobRecord[];
  /** Stored buckets by job id (store.listCellFailures). */
  cellFailures: ReadonlyMap<string, CellFailures>;
  /** Failed tests by job id, for their location and message. */
  failures: ReadonlyMap<string, readonly TestResult[]>;
  now: number;
}

/** New failures first: what this change probably broke is what a reader wants first. */
const ORDER: readonly FailureBucket[] = ["new", "no-base", "already-failing", "flaky", "quarantined"];
/** Tests listed per bucket; the rest are counted. */
const SHOWN = 20;

interface Entry {
  id: string;
  cells: { name: string; jobId: string }[];
  failure?: CellFailure;
  result?: TestResult;
  /** Passed here after failing on another attempt of the commit. */
  passedAfterFailing?: boolean;
  baseLabel?: string;
}

/**
 * The build page's failure buckets (pure): every failing test of the build
 * once, under what test intelligence judged it (new, nothing to compare
 * with, already failing on the base, flaky, quarantined), new failures
 * first, with the cells it failed in, its `file:line` and first message
 * line, since when it fails on the base, and its recent failure rate.
 * Empty when no cell has a stored report.
 */
export function renderFailureBuckets(view: FailureBucketsView): SafeHtml {
  const byBucket = new Map<FailureBucket, Map<string, Entry>>(ORDER.map((bucket) => [bucket, new Map()]));
  const add = (bucket: FailureBucket, id: string, job: JobRecord, extra: Omit<Entry, "id" | "cells">) => {
    const entries = byBucket.get(bucket) as Map<string, Entry>;
    const entry = entries.get(id) ?? { id, cells: [], ...extra };
    entry.cells.push({ name: cellName(job.cell), jobId: job.id });
    entries.set(id, entry);
  };
  for (const job of view.jobs) {
    const report = view.cellFailures.get(job.id);
    if (!report) continue;
    const results = new Map((view.failures.get(job.id) ?? []).map((result) => [result.id, result]));
    const baseLabel = "label" in report.base ? report.base.label : undefined;
    for (const failure of report.tests) add(failure.bucket, failure.id, job, { failure, result: results.get(failure.id), baseLabel });
    for (const id of report.flakyPasses) add("flaky", id, job, { passedAfterFailing: true });
  }
  const total = [...byBucket.values()].reduce((n, entries) => n + entries.size, 0);
  if (total === 0) return html``;
  const sections = ORDER.filter((bucket) => (byBucket.get(bucket)?.size ?? 0) > 0).map((bucket) => {
    const entries = [...(byBucket.get(bucket) as Map<string, Entry>).values()];
    return html`<h3 data-bucket="${bucket}">${headingOf(bucket, entries)} (${entries.length})</h3>
<ul class="bucket b-${bucket}">${entries.slice(0, SHOWN).map((entry) => renderEntry(view, entry))}${entries.length > SHOWN ? html`<li class="muted">and ${entries.length - SHOWN} more</li>` : ""}</ul>`;
  });
  return html`<section class="buckets" data-buckets>
<h2>Failures</h2>
${sections}
</section>`;
}

function headingOf(bucket: FailureBucket, entries: readonly Entry[]): string {
  switch (bucket) {
    case "new":
      return "New failures";
    case "no-base":
      return "Failures with nothing to compare with";
    case "already-failing": {
      const labels = new Set(entries.map((entry) => entry.baseLabel).filter((label) => label !== undefined));
      return labels.size === 1 ? `Already failing on ${[...labels][0] as string}` : "Already failing";
    }
    case "flaky":
      return "Flaky";
    case "quarantined":
      return "Quarantined";
  }
}

function renderEntry(view: FailureBucketsView, entry: Entry): SafeHtml {
  const { failure, result } = entry;
  const location = result?.location ? html` at <code>${result.location.path}:${result.location.line}</code>` : "";
  const cells = entry.cells.map((cell, i) => html`${i > 0 ? ", " : ""}<a href="/builds/${view.buildId}/jobs/${cell.jobId}">${cell.name}</a>`);
  const notes: (SafeHtml | string)[] = [];
  if (entry.passedAfterFailing) notes.push("passed after failing on another attempt");
  if (failure?.since) notes.push(html`failing since <code>${failure.since.sha.slice(0, 7)}</code> (${failure.since.atLeast ? "at least " : ""}${formatAgo(failure.since.at, view.now)})`);
  if (failure?.failureRate) notes.push(`failed ${failure.failureRate.failed} of its last ${failure.failureRate.runs} runs`);
  const message = result?.message?.split("\n")[0]?.slice(0, 300);
  return html`<li data-test="${entry.id}"><code>${entry.id}</code>${location} in ${cells}${notes.length > 0 ? html` <span class="muted">· ${notes.map((note, i) => html`${i > 0 ? " · " : ""}${note}`)}</span>` : ""}${message ? html`<div class="message">${message}</div>` : ""}</li>`;
}

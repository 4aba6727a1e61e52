import { cellName } from "../domain/cell.js";
import type { TestCounts, TestResult } from "../domain/events.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import { tileState } from "./format.js";
import { formatDuration } from "../domain/format-duration.js";
import { html } from "../util/html.js";
import { renderLayout } from "./render-layout.js";
import type { Viewer } from "./viewer.js";

export interface CellPageView {
  build: BuildRecord;
  job: JobRecord;
  counts: TestCounts | undefined;
  failures: TestResult[];
  slowest: TestResult[];
  log: { lines: readonly string[]; droppedLines: number };
  /** Where the live stream continues: "attempt.line". */
  cursor: string;
  live: boolean;
  canAct: boolean;
  viewer: Viewer;
  csrf: string;
}

/** A finished cell whose tests could not be read (issue 22): never "0 passed". */
export const COUNTS_UNKNOWN = "Test counts unknown: the command ran, but no test runner Pony CI reads reported its tests (nor any JUnit XML file).";

/** `/builds/<id>/jobs/<job>`: one cell's counts, failures, slowest tests and full log. Pure. */
export function renderCellPage(view: CellPageView): string {
  const { build, job } = view;
  const state = tileState(job);
  const c = view.counts;
  const form = (action: string, label: string, cls = "") => html`<form method="post" action="/builds/${build.id}/jobs/${job.id}/${action}"><input type="hidden" name="csrf" value="${view.csrf}"><button type="submit" class="${cls}">${label}</button></form>`;
  const running = job.state === "queued" || job.state === "running";
  const actions = view.canAct
    ? html`<div class="actions">${form("rerun", "Re-run cell")}${view.failures.length > 0 ? form("rerun-failed", "Re-run failed tests") : ""}${running ? form("cancel", "Cancel", "danger") : ""}</div>`
    : "";
  const failure = (t: TestResult) => html`<li class="failure"><code>${t.id}</code> <span class="outcome">${t.outcome}</span>${t.location ? html` at <code>${t.location.path}:${t.location.line}</code>` : ""}
${t.message ? html`<pre class="message">${t.message.slice(0, 4000)}</pre>` : ""}${t.traceback ? html`<details><summary>Traceback</summary><pre>${t.traceback.slice(0, 20_000)}</pre></details>` : ""}</li>`;
  const body = html`<p class="crumbs"><a href="/">Builds</a> › <a href="/repos/${encodeURIComponent(build.repo)}">${build.repo}</a> › <a href="/builds/${build.id}">Build #${build.id}</a></p>
<h1>${cellName(job.cell)} <span class="badge t-${state}" id="cell-state">${state}</span></h1>
<p class="counts" id="counts">${job.countsUnknown ? COUNTS_UNKNOWN : c ? `${c.passed} passed · ${c.failed} failed · ${c.error} errors · ${c.skipped} skipped · ${c.total} in all` : "No results yet."}</p>
<p class="muted">Attempt ${job.attempts}${job.startedAt && job.finishedAt ? ` · ${formatDuration(job.finishedAt - job.startedAt)}` : ""}${job.supersededBy ? ` · superseded by build #${job.supersededBy}` : ""}</p>
${actions}
${job.error ? html`<p class="error">${job.error.message.slice(0, 4000)}${job.error.location ? html` (<code>${job.error.location.path}:${job.error.location.line}</code>)` : ""}</p>${job.error.traceback ? html`<details open><summary>Details</summary><pre class="error-details">${job.error.traceback.slice(0, 20_000)}</pre></details>` : ""}` : ""}
<h2>Failures</h2>
<ul class="failures" id="failures">${view.failures.map(failure)}</ul>${view.failures.length === 0 ? html`<p class="muted" id="no-failures">None.</p>` : ""}
<h2>Slowest tests</h2>
${view.slowest.length > 0 ? html`<table class="slowest"><tbody>${view.slowest.map((t) => html`<tr><td><code>${t.id}</code></td><td>${formatDuration(t.durationMs)}</td></tr>`)}</tbody></table>` : html`<p class="muted">None yet.</p>`}
<h2>Log</h2>
<pre class="log" id="log"${view.live ? html` data-stream="/builds/${build.id}/jobs/${job.id}/events" data-cursor="${view.cursor}"` : ""}>${view.log.lines.map((line) => html`<span>${line}</span>\n`)}</pre>
${view.log.droppedLines > 0 ? html`<p class="muted">${view.log.droppedLines} more lines over the log limit were not kept.</p>` : ""}`;
  return renderLayout({ title: `${cellName(job.cell)} · build #${build.id}`, viewer: view.viewer, csrf: view.csrf, body, live: true });
}

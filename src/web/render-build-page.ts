import { cellName } from "../domain/cell.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import { buildDuration, describeRef, describeTrigger, formatAgo, tileState } from "./format.js";
import { formatDuration } from "../domain/format-duration.js";
import { compareVersions } from "../domain/compare-versions.js";
import { html } from "../util/html.js";
import { renderLayout } from "./render-layout.js";
import type { Viewer } from "./viewer.js";
import type { TestResult } from "../domain/events.js";
import type { Delivery } from "../notify/list-deliveries.js";
import type { CommitSummary } from "../domain/build-request.js";
import type { CellFailures } from "../store/cell-failure-rows.js";
import { renderFailureBuckets } from "./render-failure-buckets.js";


export interface BuildPageView {
  build: BuildRecord;
  jobs: JobRecord[];
  /** The failures of each cell, by job id (5 are listed per cell; the failure buckets look up the others). */
  failures: Map<string, TestResult[]>;
  /** Each cell's stored failure buckets (store.listCellFailures), by job id. */
  cellFailures?: ReadonlyMap<string, CellFailures>;
  canAct: boolean;
  now: number;
  viewer: Viewer;
  csrf: string;
  /** Its notifications (email, chat, webhooks, forge statuses) and how their delivery went. */
  deliveries?: Delivery[];
}

/**
 * `/builds/<id>` (check runs' details_url): the matrix grid, Python down and
 * Django across, one tile per cell with its counts. Pure.
 */
export function renderBuildPage(view: BuildPageView): string {
  const { build } = view;
  // The commit's message and author: from the event (GitHub's push) or read from the mirror at planning (the bridge).
  const commit = (build.plan.commit ?? (build.trigger.request as { commit?: unknown } | undefined)?.commit) as CommitSummary | undefined;
  // A confirmation re-run is an attempt of its cell: shown inside the cell's tile and entry, never as a cell of its own.
  const attemptsOf = (job: JobRecord) => view.jobs.filter((other) => other.external.confirms === job.id);
  const jobs = view.jobs.filter((job) => typeof job.external.confirms !== "string");
  const countsOf = (job: JobRecord) => (job.countsUnknown ? "test counts unknown" : job.counts ? `${job.counts.passed} passed · ${job.counts.failed + job.counts.error} failed · ${job.counts.skipped} skipped` : "");
  const pythons = [...new Set(jobs.map((job) => job.cell.python))].sort(compareVersions);
  const djangos = [...new Set(jobs.map((job) => job.cell.django))].sort(compareVersions);
  const cellOf = (python: string, django: string) => jobs.filter((job) => job.cell.python === python && job.cell.django === django);
  const grid = html`<table class="matrix" data-live="tiles"><thead><tr><th></th>${djangos.map((d) => html`<th>Django ${d}</th>`)}</tr></thead><tbody>
${pythons.map((p) => html`<tr><th>Python ${p}</th>${djangos.map((d) => html`<td>${cellOf(p, d).map((job) => {
    const state = tileState(job);
    const counts = countsOf(job);
    const attempts = attemptsOf(job);
    return html`<a class="cell tile t-${state}" data-job="${job.id}" href="/builds/${build.id}/jobs/${job.id}"><strong>${state}</strong><span>${counts}</span>${attempts.map((a, i) => html`<small data-attempt="${i + 2}">attempt ${i + 2} (confirmation): ${a.state === "finished" ? countsOf(a) || tileState(a) : tileState(a)}</small>`)}${job.cell.vars ? html`<small>${Object.entries(job.cell.vars).map(([k, v]) => `${k}=${v}`).join(" ")}</small>` : ""}</a>`;
  })}</td>`)}</tr>`)}
</tbody></table>`;
  const configError = build.planState === "config-error" ? html`<p class="error">Configuration error: ${String((build.plan.error as { message?: string } | undefined)?.message ?? "")}</p>` : "";
  const running = view.jobs.some((job) => job.state === "queued" || job.state === "running");
  const actions = view.canAct
    ? html`<div class="actions">
<form method="post" action="/builds/${build.id}/rerun"><input type="hidden" name="csrf" value="${view.csrf}"><button type="submit">Re-run build</button></form>
${running ? html`<form method="post" action="/builds/${build.id}/cancel"><input type="hidden" name="csrf" value="${view.csrf}"><button type="submit" class="danger">Cancel</button></form>` : ""}
</div>`
    : "";
  const body = html`<p class="crumbs"><a href="/">Builds</a> › <a href="/repos/${encodeURIComponent(build.repo)}">${build.repo}</a></p>
<h1>Build #${build.id} <span class="badge t-${build.status.conclusion ?? build.status.state}">${build.status.conclusion ?? build.status.state}</span></h1>
<dl class="facts"><dt>Commit</dt><dd><code>${build.sha}</code>${commit ? html`<div class="commit" data-commit><strong>${commit.message.split("\n")[0]}</strong>${commit.author ? html` <span class="muted">by ${commit.author}</span>` : ""}${commit.message.includes("\n") ? html`<pre class="message">${commit.message.split("\n").slice(1).join("\n").trim()}</pre>` : ""}</div>` : ""}</dd><dt>Branch / PR</dt><dd>${describeRef(build) || "—"}</dd><dt>Trigger</dt><dd>${describeTrigger(build)}</dd><dt>Duration</dt><dd>${formatDuration(buildDuration(view.jobs, view.now)) || "—"}</dd><dt>Created</dt><dd>${formatAgo(build.createdAt, view.now)}</dd></dl>
${actions}
${configError}
${jobs.length > 0 ? grid : html`<p class="muted">No cells${build.planState === "pending" ? " yet: planning" : ""}.</p>`}
${view.cellFailures ? renderFailureBuckets({ buildId: build.id, jobs, cellFailures: view.cellFailures, failures: view.failures, now: view.now }) : ""}
<ul class="cells">${jobs.map((job) => {
    const failures = view.failures.get(job.id) ?? [];
    const attempts = attemptsOf(job);
    return html`<li><a href="/builds/${build.id}/jobs/${job.id}" data-job-state="${job.id}" data-name="${cellName(job.cell)}">${cellName(job.cell)}: ${tileState(job)}</a>${attempts.map((a, i) => html` · <a href="/builds/${build.id}/jobs/${a.id}" data-attempt-of="${job.id}">attempt ${i + 2}: ${tileState(a)}</a>`)}${job.error ? html` — <span class="error">${job.error.message.slice(0, 500)}</span>` : ""}${failures.length > 0 ? html`<ul>${failures.slice(0, 5).map((t) => html`<li><code>${t.id}</code>${t.location ? html` at <code>${t.location.path}:${t.location.line}</code>` : ""}</li>`)}${failures.length > 5 ? html`<li class="muted">and ${failures.length - 5} more</li>` : ""}</ul>` : ""}</li>`;
  })}</ul>
${view.deliveries && view.deliveries.length > 0 ? renderDeliveries(view.deliveries) : ""}`;
  return renderLayout({ title: `Build #${build.id} · ${build.repo}`, viewer: view.viewer, csrf: view.csrf, body, live: true });
}

/** Where the build's news went: a failed delivery says why, so the operator can fix the address or the server. */
function renderDeliveries(deliveries: Delivery[]) {
  const label = (d: Delivery) => (d.state === "sent" ? (d.refused ? "sent, some refused" : "sent") : d.state === "failed" ? "failed" : d.state === "superseded" ? "dropped" : d.attempts > 0 ? "retrying" : "pending");
  return html`<h2>Notifications</h2>
<table class="deliveries"><thead><tr><th>channel</th><th>to</th><th>delivery</th><th>tries</th><th>last error</th></tr></thead><tbody>
${deliveries.map((d) => html`<tr data-delivery="${d.channel}" data-state="${d.state}"><td>${d.channel}</td><td>${d.target}</td><td class="${d.state === "failed" ? "error" : ""}">${label(d)}</td><td>${d.attempts}</td><td>${d.refused ? `refused: ${d.refused.join(", ")}` : ""}${d.state === "sent" ? "" : (d.lastError ?? "")}</td></tr>`)}
</tbody></table>`;
}

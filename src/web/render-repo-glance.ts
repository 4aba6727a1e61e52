import { cellKey } from "../domain/cell.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import { buildDuration, formatAgo, tileState } from "./format.js";
import { formatDuration } from "../domain/format-duration.js";
import { html, type SafeHtml } from "../util/html.js";
import type { RepoGlance } from "./read-repo-glance.js";

const RED = new Set(["failure", "timed_out", "error"]);
const GRID_ROWS = 15;
const COLORS: Record<string, string> = { success: "#2da44e", neutral: "#2da44e", failure: "#cf222e", timed_out: "#bf8700", error: "#bf8700" };

/** A confirmation re-run is an attempt of its cell, never a cell (a column) of its own. */
const isAttempt = (job: JobRecord) => typeof job.external.confirms === "string";

/**
 * The top of `/repos/<name>` (pure): each branch's state and since when, the
 * recent commits × cells grid (Buildbot's console view), duration and
 * pass-rate trends as server-drawn SVG (no script), and the flaky and
 * quarantined tests the history knows.
 */
export function renderRepoGlance(glance: RepoGlance, now: number): SafeHtml {
  if (glance.builds.length === 0) return html``;
  return html`<section class="glance">
${renderBranches(glance.builds.map((b) => b.build), now)}
${renderGrid(glance)}
${renderTrends(glance)}
${renderTests(glance)}
</section>`;
}

function renderBranches(builds: BuildRecord[], now: number): SafeHtml {
  const byBranch = new Map<string, BuildRecord[]>();
  for (const build of builds) {
    if (!build.branch || build.prNumber !== undefined || build.status.state !== "finished" || !build.status.conclusion || build.status.conclusion === "cancelled") continue;
    byBranch.set(build.branch, [...(byBranch.get(build.branch) ?? []), build]);
  }
  const rows = [...byBranch].map(([branch, list]) => {
    const newest = list[0] as BuildRecord;
    const red = RED.has(newest.status.conclusion ?? "");
    let since = newest;
    for (const older of list.slice(1)) {
      if (RED.has(older.status.conclusion ?? "") !== red) break;
      since = older;
    }
    const atLeast = since === list.at(-1) && list.length === builds.filter((b) => b.branch === branch).length && builds.length >= 30;
    return html`<tr data-branch="${branch}"><td><a href="?branch=${encodeURIComponent(branch)}">${branch}</a></td><td><span class="badge t-${red ? "failure" : "success"}">${red ? "failing" : "passing"}</span></td><td>since <a href="/builds/${since.id}">#${since.id}</a> (${atLeast ? "at least " : ""}${formatAgo(since.createdAt, now)})</td><td>latest <a href="/builds/${newest.id}">#${newest.id}</a> <code>${newest.sha.slice(0, 7)}</code></td></tr>`;
  });
  return rows.length === 0 ? html`` : html`<h2>Branches</h2><table class="branches"><tbody>${rows}</tbody></table>`;
}

function renderGrid(glance: RepoGlance): SafeHtml {
  const rows = glance.builds.slice(0, GRID_ROWS).map(({ build, jobs }) => {
    const cells = glance.cells.map(({ key, name }) => {
      const mine = jobs.filter((job) => cellKey(job.cell) === key);
      const job = mine.find((j) => !isAttempt(j));
      if (!job) return html`<td></td>`;
      const attempts = mine.length;
      const state = tileState(job);
      return html`<td><a class="tile t-${state}" href="/builds/${build.id}/jobs/${job.id}" title="${name}: ${state}${attempts > 1 ? `, ${attempts} attempts` : ""}">${attempts > 1 ? html`<small>${attempts}</small>` : ""}</a></td>`;
    });
    return html`<tr data-build="${build.id}"><th><a href="/builds/${build.id}">#${build.id}</a> <code>${build.sha.slice(0, 7)}</code> <span class="muted">${build.prNumber !== undefined ? `PR #${build.prNumber}` : (build.branch ?? "")}</span></th>${cells}</tr>`;
  });
  return html`<h2>Commits × cells</h2>
<table class="console"><thead><tr><th></th>${glance.cells.map(({ name }) => html`<th><span>${name}</span></th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** Two small SVG charts, oldest build on the left: wall time (bars coloured by verdict) and the share of tests that passed (a line). */
function renderTrends(glance: RepoGlance): SafeHtml {
  const points = [...glance.builds]
    .reverse()
    .filter(({ build }) => build.status.state === "finished")
    .map(({ build, jobs }) => {
      const counted = jobs.filter((job) => !isAttempt(job));
      const passed = counted.reduce((n, job) => n + (job.counts?.passed ?? 0), 0);
      const ran = counted.reduce((n, job) => n + (job.counts ? job.counts.passed + job.counts.failed + job.counts.error : 0), 0);
      return { build, ms: buildDuration(jobs, build.createdAt) ?? 0, rate: ran > 0 ? passed / ran : undefined };
    });
  if (points.length < 2) return html``;
  const width = 600;
  const height = 90;
  const step = width / points.length;
  const maxMs = Math.max(...points.map((p) => p.ms), 1);
  const bars = points.map((p, i) => {
    const h = Math.max(1, Math.round((p.ms / maxMs) * (height - 10)));
    return html`<rect x="${(i * step + 1).toFixed(1)}" y="${height - h}" width="${Math.max(1, step - 2).toFixed(1)}" height="${h}" fill="${COLORS[p.build.status.conclusion ?? ""] ?? "#8c959f"}"><title>#${p.build.id}: ${formatDuration(p.ms)}</title></rect>`;
  });
  const rated = points.map((p, i) => ({ ...p, x: i * step + step / 2 })).filter((p) => p.rate !== undefined);
  const line = rated.map((p) => `${p.x.toFixed(1)},${(height - 5 - (p.rate as number) * (height - 10)).toFixed(1)}`).join(" ");
  const dots = rated.map((p) => html`<circle cx="${p.x.toFixed(1)}" cy="${(height - 5 - (p.rate as number) * (height - 10)).toFixed(1)}" r="3" fill="${(p.rate as number) < 1 ? "#cf222e" : "#2da44e"}"><title>#${p.build.id}: ${Math.round((p.rate as number) * 1000) / 10} % passed</title></circle>`);
  return html`<h2>Trends</h2>
<div class="trends">
<figure><svg class="trend" data-trend="duration" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Build duration, last ${points.length} builds"><line x1="0" y1="${height}" x2="${width}" y2="${height}" stroke="#8c959f"/>${bars}</svg><figcaption>Duration (longest ${formatDuration(maxMs)})</figcaption></figure>
<figure><svg class="trend" data-trend="pass-rate" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Share of tests passed, last ${rated.length} builds"><line x1="0" y1="5" x2="${width}" y2="5" stroke="#d0d7de" stroke-dasharray="4 4"/><polyline points="${line}" fill="none" stroke="#0969da" stroke-width="2"/>${dots}</svg><figcaption>Tests passed (top line: 100 %)</figcaption></figure>
</div>`;
}

function renderTests(glance: RepoGlance): SafeHtml {
  const flaky = glance.flaky.length === 0
    ? html`<p class="muted">No test gave two outcomes on one commit in the recent builds.</p>`
    : html`<table class="flaky"><thead><tr><th>test</th><th>flaky on</th><th>failure rate</th></tr></thead><tbody>${glance.flaky.map((t) => html`<tr data-test="${t.test}"><td><code>${t.test}</code></td><td>${t.commits} commit × cell${t.commits === 1 ? "" : "s"}</td><td>${t.failed}/${t.runs} (${Math.round((t.failed / Math.max(1, t.runs)) * 100)} %)</td></tr>`)}</tbody></table>`;
  const quarantine = glance.quarantine.length === 0
    ? html``
    : html`<h3>Quarantined</h3><ul class="quarantine">${glance.quarantine.map((q) => html`<li><code>${q.test}</code>${q.until ? ` until ${q.until}` : ""}${q.reason ? html` — ${q.reason}` : ""}</li>`)}</ul>`;
  return html`<h2>Flaky tests</h2>${flaky}${quarantine}`;
}

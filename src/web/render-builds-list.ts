import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import { buildDuration, describeRef, describeTrigger, formatAgo } from "./format.js";
import { formatDuration } from "../domain/format-duration.js";
import { html, type SafeHtml } from "../util/html.js";
import { renderLayout } from "./render-layout.js";
import { renderTiles } from "./render-tiles.js";
import type { Viewer } from "./viewer.js";

export interface BuildsListView {
  title: string;
  /** "/" or "/repos/<name>": where filters and pages link to. */
  basePath: string;
  builds: Array<{ build: BuildRecord; jobs: JobRecord[] }>;
  filters: { repo?: string; branch?: string };
  /** Repositories this viewer may pick in the filter. */
  repos: readonly string[];
  /** The `before` of the next (older) page, when there is one. */
  nextBefore?: number;
  /** A repository page's overview (render-repo-glance.ts), above its builds. */
  glance?: SafeHtml;
  now: number;
  viewer: Viewer;
  csrf: string;
}

/** `/` and `/repos/<name>`: newest builds first, a tile per cell, filters and paging. Pure. */
export function renderBuildsList(view: BuildsListView): string {
  const query = (extra: Record<string, string | number | undefined>) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries({ ...(view.basePath === "/" ? { repo: view.filters.repo } : {}), branch: view.filters.branch, ...extra })) if (value !== undefined && value !== "") params.set(key, String(value));
    const text = params.toString();
    return `${view.basePath}${text ? `?${text}` : ""}`;
  };
  const rows = view.builds.map(({ build, jobs }) => html`<tr data-build="${build.id}">
<td><a href="/builds/${build.id}">#${build.id}</a></td>
<td><a href="/repos/${encodeURIComponent(build.repo)}">${build.repo}</a></td>
<td>${describeRef(build)}</td>
<td><code>${build.sha.slice(0, 7)}</code></td>
<td>${describeTrigger(build)}</td>
<td>${jobs.length > 0 ? renderTiles(build.id, jobs) : html`<span class="muted">${build.planState === "config-error" ? "config error" : build.planState === "pending" ? "planning…" : "no cells"}</span>`}</td>
<td>${formatDuration(buildDuration(jobs, view.now))}</td>
<td title="${new Date(build.createdAt).toISOString()}">${formatAgo(build.createdAt, view.now)}</td>
</tr>`);
  const body = html`<h1>${view.title}</h1>
${view.glance ?? ""}
${view.glance ? html`<h2>Builds</h2>` : ""}
<form method="get" action="${view.basePath}" class="filters">
${view.basePath === "/" ? html`<label>Repository <select name="repo"><option value="">all</option>${view.repos.map((repo) => html`<option${repo === view.filters.repo ? " selected" : ""}>${repo}</option>`)}</select></label>` : ""}
<label>Branch <input name="branch" value="${view.filters.branch ?? ""}" maxlength="255"></label>
<button type="submit">Filter</button>
</form>
<p id="new-builds" class="notice" hidden><a href="${query({})}">New builds: refresh</a></p>
${view.builds.length === 0 ? html`<p class="muted">No builds.</p>` : html`<table class="builds" data-live="tiles"><thead><tr><th>Build</th><th>Repository</th><th>Branch / PR</th><th>Commit</th><th>Trigger</th><th>Cells</th><th>Duration</th><th>When</th></tr></thead><tbody>
${rows}
</tbody></table>`}
<nav class="pages">${view.nextBefore !== undefined ? html`<a rel="next" href="${query({ before: view.nextBefore })}">Older builds →</a>` : ""}</nav>`;
  return renderLayout({ title: view.title, viewer: view.viewer, csrf: view.csrf, body, live: true });
}

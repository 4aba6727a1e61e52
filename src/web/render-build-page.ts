import { cellName } from "../domain/cell.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { TestResult } from "../domain/events.js";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * The build page check runs link to (details_url): the build's cells, their
 * verdicts and failure locations. Server-rendered, no script. Pure.
 */
export function renderBuildPage(build: BuildRecord, jobs: Array<{ job: JobRecord; failures: TestResult[] }>): string {
  const rows = jobs
    .map(({ job, failures }) => {
      const counts = job.counts ? `${job.counts.passed} passed, ${job.counts.failed} failed, ${job.counts.error} errors, ${job.counts.skipped} skipped` : "";
      const failed = failures
        .map((t) => `<li><code>${escapeHtml(t.id)}</code>${t.location ? ` at <code>${escapeHtml(`${t.location.path}:${t.location.line}`)}</code>` : ""}${t.message ? `<pre>${escapeHtml(t.message.slice(0, 2000))}</pre>` : ""}</li>`)
        .join("");
      const error = job.error ? `<p class="error">${escapeHtml(job.error.message)}</p>` : "";
      return `<section id="job-${escapeHtml(job.id)}"><h2>${escapeHtml(cellName(job.cell))}: ${escapeHtml(job.conclusion ?? job.state)}</h2><p>${counts}</p>${error}${failed ? `<ul>${failed}</ul>` : ""}</section>`;
    })
    .join("\n");
  const title = `Build #${build.id} · ${build.repo} · ${build.sha.slice(0, 7)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:2em;max-width:60em}pre{background:#f6f8fa;padding:.5em;overflow:auto}.error{color:#b00}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(build.event)}${build.branch ? ` on ${escapeHtml(build.branch)}` : ""}${build.prNumber !== undefined ? ` (pull request #${build.prNumber})` : ""} · status: <strong>${escapeHtml(build.status.conclusion ?? build.status.state)}</strong></p>
${rows || "<p>No cells (yet).</p>"}
</body></html>
`;
}

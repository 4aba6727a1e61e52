import { cellName } from "../domain/cell.js";
import { groupAttempts } from "../history/job-test-plan.js";
import type { JobRecord } from "../store/job-rows.js";
import { tileState } from "./format.js";
import { html, type SafeHtml } from "../util/html.js";

/**
 * One coloured tile per cell, linking to the cell's page; `data-job` lets
 * live updates find it. A cell's confirmation re-runs are its attempts: they
 * add a count to its tile, never a tile of their own. Pure.
 */
export function renderTiles(buildId: number, jobs: readonly JobRecord[]): SafeHtml {
  return html`<span class="tiles">${groupAttempts(jobs).map(({ job, attempts }) => {
    const state = tileState(job);
    const label = `${cellName(job.cell)}: ${state}${attempts.length > 0 ? `, ${attempts.length + 1} attempts` : ""}`;
    return html`<a class="tile t-${state}${attempts.length > 0 ? " retried" : ""}" data-job="${job.id}"${attempts.length > 0 ? html` data-attempts="${attempts.length + 1}"` : ""} href="/builds/${buildId}/jobs/${job.id}" title="${label}"><span class="sr">${label}</span></a>`;
  })}</span>`;
}

import { cellName } from "../domain/cell.js";
import type { JobRecord } from "../store/job-rows.js";
import { tileState } from "./format.js";
import { html, type SafeHtml } from "../util/html.js";

/** One coloured tile per cell, linking to the cell's page; `data-job` lets live updates find it. Pure. */
export function renderTiles(buildId: number, jobs: readonly JobRecord[]): SafeHtml {
  return html`<span class="tiles">${jobs.map((job) => {
    const state = tileState(job);
    return html`<a class="tile t-${state}" data-job="${job.id}" href="/builds/${buildId}/jobs/${job.id}" title="${cellName(job.cell)}: ${state}"><span class="sr">${cellName(job.cell)}: ${state}</span></a>`;
  })}</span>`;
}

import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { BuildRequest } from "../domain/build-request.js";

/**
 * The re-run requests GitHub's buttons and the dashboard's share (pure):
 * a build again, one cell again, one cell's failed tests again. A re-run is
 * never deduplicated against the commit's first build.
 */

/** The build's own request, as a re-run of every cell; undefined for builds recorded without one. */
export function rerunBuildRequest(build: BuildRecord): BuildRequest | undefined {
  const request = build.trigger.request;
  if (!request) return undefined;
  return { ...request, event: "rerequested", rerun: {}, deliveryId: undefined };
}

/** One cell again, as a new job (a finished check run cannot be reopened). */
export function rerunCellRequest(request: BuildRequest, job: JobRecord): BuildRequest {
  return { ...request, event: "rerequested", rerun: { cells: [job.cell], ofJob: job.id } };
}

/** Only the failed tests of one cell; with no recorded failure (the suite crashed before any test), the whole cell. */
export function rerunFailedRequest(request: BuildRequest, job: JobRecord, failedTestIds: string[]): BuildRequest {
  return { ...request, event: "rerun-failed", rerun: { cells: [job.cell], onlyTests: failedTestIds.length > 0 ? failedTestIds : undefined, ofJob: job.id } };
}

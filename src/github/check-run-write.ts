import type { CheckRunUpdate } from "./checks/check-run-payload.js";

/** The body of `POST /repos/{owner}/{repo}/check-runs` Pony CI sends. */
export interface CheckRunCreate extends CheckRunUpdate {
  name: string;
  head_sha: string;
}

/**
 * One GitHub write as the outbox stores it (JSON). A create's response (the
 * check run id) reaches the later writes of its key through the outbox.
 */
export interface CheckRunWrite {
  installationId: number;
  owner: string;
  repo: string;
  /** The job the check run reports (its id is the run's external_id). */
  jobId?: string;
  /** For an update of a run whose id is already known (a webhook named it); else the id comes from the key's create. */
  checkRunId?: number;
  create?: CheckRunCreate;
  update?: CheckRunUpdate;
}

/** The outbox key of a job's check run: its writes go out in order. */
export function checkRunKey(jobId: string): string {
  return `check-run:${jobId}`;
}

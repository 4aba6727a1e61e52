import type { JobRecord } from "../store/job-rows.js";

/** What a job carries besides its cell (stored as the job's `external`). */
export interface JobPlan {
  testCommand?: string;
  install?: string[];
  env?: Record<string, string>;
  timeoutSec?: number;
  extraDeps?: string[];
  /** Re-run of failed tests: only these. */
  onlyTests?: string[];
  /** The job this one re-runs. */
  rerunOf?: string;
}

export function jobPlanOf(job: JobRecord): JobPlan {
  return job.external as JobPlan;
}

import type { JobRecord } from "../store/job-rows.js";
import type { TestPolicy } from "./config/test-policy.js";

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
  /** How failing tests are judged (from the commit's config; absent on jobs planned before issue 15: defaults). */
  testPolicy?: TestPolicy;
  /** This job re-ran the failures of that job, automatically, to confirm them before blaming the change. */
  confirms?: string;
}

export function jobPlanOf(job: JobRecord): JobPlan {
  return job.external as JobPlan;
}

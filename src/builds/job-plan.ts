import type { JobSpec } from "../domain/job-spec.js";
import type { JobRecord } from "../store/job-rows.js";

/**
 * What a job stores besides its cell (the job's `external`): its job spec
 * without the cell (the job record has it), and the job it re-runs.
 */
export type StoredJobPlan = Omit<JobSpec, "cell"> & { rerunOf?: string };

/** The stored form of a job spec. */
export function storeJobPlan(spec: JobSpec, rerunOf?: string): StoredJobPlan {
  const { cell: _cell, ...rest } = spec;
  return rerunOf === undefined ? rest : { ...rest, rerunOf };
}

/** Jobs queued before job specs (their `external` held testCommand/install/extraDeps). */
interface LegacyJobPlan {
  testCommand?: string;
  install?: string[];
  extraDeps?: string[];
  env?: Record<string, string>;
  timeoutSec?: number;
  onlyTests?: string[];
}

/** The job spec a job runs, read back from the store; jobs stored by older versions are read too. */
export function jobSpecOf(job: JobRecord): JobSpec {
  const stored = job.external as Partial<StoredJobPlan> & LegacyJobPlan;
  if (stored.environment) {
    const spec: JobSpec = { cell: job.cell, environment: stored.environment, env: stored.env ?? {}, command: stored.command, onlyTests: stored.onlyTests, timeoutSec: stored.timeoutSec };
    if (stored.services) spec.services = stored.services;
    if (stored.commands) spec.commands = stored.commands;
    if (stored.ignoreOutcome) spec.ignoreOutcome = true;
    if (stored.notes) spec.notes = stored.notes;
    return spec;
  }
  const extra = stored.extraDeps ?? [];
  return {
    cell: job.cell,
    environment: {
      python: job.cell.python,
      django: job.cell.django,
      requirements: stored.install ? [...stored.install, ...extra] : extra,
      detectRequirements: stored.install === undefined,
    },
    env: stored.env ?? {},
    command: stored.testCommand,
    onlyTests: stored.onlyTests,
    timeoutSec: stored.timeoutSec,
  };
}


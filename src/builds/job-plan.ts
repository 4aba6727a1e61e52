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

/** Environment fields only older versions stored: the runner detected requirements while `detectRequirements` was true. */
interface LegacyEnvironment {
  detectRequirements?: boolean;
}

/**
 * Said in the summary of a job planned by an older version that left
 * requirement detection (or `-r` includes) to the runner: the runner no
 * longer reads the checkout for that, so such a job installs only its
 * explicit requirements. Only jobs queued across the upgrade are affected;
 * a re-run plans them anew.
 */
export const LEGACY_REQUIREMENTS_NOTE =
  "This job was planned by an older Pony CI, which left finding requirement files to the runner: only its explicit requirements were installed. Re-run it to plan it again.";

/**
 * The job spec a job runs, read back from the store; jobs stored by older
 * versions are read too (see {@link LEGACY_REQUIREMENTS_NOTE}: their
 * `-r` entries and runner-side detection are dropped, and the summary says so).
 */
export function jobSpecOf(job: JobRecord): JobSpec {
  const stored = job.external as Partial<StoredJobPlan> & LegacyJobPlan;
  if (stored.environment) {
    const { detectRequirements, ...environment } = stored.environment as JobSpec["environment"] & LegacyEnvironment;
    const legacy = detectRequirements !== undefined && (detectRequirements || environment.requirements.some(isInclude));
    if (legacy) environment.requirements = environment.requirements.filter((line) => !isInclude(line));
    const spec: JobSpec = { cell: job.cell, environment, env: stored.env ?? {}, command: stored.command, onlyTests: stored.onlyTests, timeoutSec: stored.timeoutSec };
    if (stored.services) spec.services = stored.services;
    if (stored.commands) spec.commands = stored.commands;
    if (stored.ignoreOutcome) spec.ignoreOutcome = true;
    // `ponyci run … -- ARGS` for the harness to append to the command it detects.
    if (stored.posargs) spec.posargs = stored.posargs;
    const notes = [...(stored.notes ?? []), ...(legacy ? [LEGACY_REQUIREMENTS_NOTE] : [])];
    if (notes.length > 0) spec.notes = notes;
    return spec;
  }
  const extra = stored.extraDeps ?? [];
  const install = stored.install ?? [];
  const legacy = stored.install === undefined || install.some(isInclude);
  return {
    cell: job.cell,
    environment: {
      python: job.cell.python,
      django: job.cell.django,
      requirements: [...install, ...extra].filter((line) => !isInclude(line)),
    },
    env: stored.env ?? {},
    command: stored.testCommand,
    onlyTests: stored.onlyTests,
    timeoutSec: stored.timeoutSec,
    ...(legacy ? { notes: [LEGACY_REQUIREMENTS_NOTE] } : {}),
  };
}

/** `-r file` / `-c file`: a line only the planner can expand (it reads the files). */
function isInclude(line: string): boolean {
  return /^\s*(-[rc]|--requirement|--constraint)\b/.test(line);
}


import type { Cell } from "./cell.js";
import type { Conclusion, SourceLocation, TestCounts } from "./events.js";

/* A job: one cell of a build (./build.ts), run and retried as one unit. The store records it (src/store/job-rows.ts). */

export type JobState = "queued" | "running" | "finished" | "cancelled";

export interface JobError {
  message: string;
  location?: SourceLocation;
  traceback?: string;
  /** "infrastructure", "config", …: who is to blame. */
  kind?: string;
}

export interface NewJob {
  /** Default: "<buildId>-<seq>". */
  id?: string;
  cell: Cell;
  /** Free-form, e.g. `{ onlyTests: [...] }` for "re-run failed tests". */
  external?: Record<string, unknown>;
}

export interface Job {
  id: string;
  buildId: number;
  /** Position in its build, from 1. */
  seq: number;
  cell: Cell;
  state: JobState;
  /** How many times it started. */
  attempts: number;
  conclusion?: Conclusion;
  checkRunId?: number;
  external: Record<string, unknown>;
  counts?: TestCounts;
  /** The attempt's tests could not be read (issue 22): `counts` are zeros that mean "unknown". */
  countsUnknown?: boolean;
  error?: JobError;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** The build whose newer commit made this job obsolete. */
  supersededBy?: number;
}

import type { Cell } from "../domain/cell.js";
import type { Conclusion, TestCounts } from "../domain/events.js";
import type { StoreCore } from "./store-core.js";
import type { Job, JobError, JobState, NewJob } from "../domain/job.js";
import type { CellFailures } from "./cell-failure-rows.js";

export type { JobError, JobState, NewJob } from "../domain/job.js";
/** The store's name for a job (src/domain/job.ts). */
export type JobRecord = Job;

export interface SupersedeQuery {
  repo: string;
  /** Push builds of this branch (pull-request builds are matched by `prNumber`). */
  branch?: string;
  prNumber?: number;
  /** The new commit: its own jobs are never superseded. */
  exceptSha: string;
}

export interface JobRows {
  /** Adds jobs (state queued) to a build, in one transaction. */
  createJobs(buildId: number, jobs: NewJob[]): JobRecord[];
  getJob(id: string): JobRecord | undefined;
  /** A build's jobs in order. */
  listJobs(buildId: number): JobRecord[];
  /** The jobs of several builds (a dashboard page), each build's in order. */
  listJobsOfBuilds(buildIds: readonly number[]): Map<number, JobRecord[]>;
  /**
   * A (new) attempt starts: state running, attempts + 1. The results and log
   * of an earlier attempt are deleted: a job keeps those of its latest
   * attempt. Throws when the job does not exist.
   */
  recordJobStarted(jobId: string, at?: number): JobRecord;
  /** The job ended: state finished (cancelled when the conclusion is "cancelled"), with its failure buckets when test intelligence gave them. */
  recordJobFinished(update: {
    jobId: string;
    conclusion: Conclusion;
    counts?: TestCounts;
    /** The finished event's `countsUnknown`: stored, so a finished job never reads as "0 passed". */
    countsUnknown?: boolean;
    error?: JobError;
    failures?: CellFailures;
    at?: number;
  }): JobRecord;
  /**
   * A job that will not run (or stopped without finishing): state and
   * conclusion cancelled. Returns false, changing nothing, when it had
   * already ended.
   */
  recordJobCancelled(jobId: string, at?: number): boolean;
  /** Back to queued after a crash or a shutdown (keeps `attempts`). */
  recordJobRequeued(jobId: string): void;
  /** The GitHub check run reporting this job. */
  setCheckRunId(jobId: string, checkRunId: number): void;
  /**
   * Jobs still queued or running, not yet superseded, of older commits on the
   * same branch (push builds) or pull request: what a new commit makes obsolete.
   */
  findJobsToSupersede(query: SupersedeQuery): JobRecord[];
  /** Marks jobs as made obsolete by `byBuildId` (cancelling them is the caller's part). */
  markJobsSuperseded(jobIds: readonly string[], byBuildId: number): void;
  /** Every job still queued or running, oldest build first: what a queue that lost its data must run again. */
  listUnfinishedJobs(): JobRecord[];
}

interface JobRow {
  id: string;
  build_id: number;
  seq: number;
  cell_json: string;
  state: JobState;
  attempts: number;
  conclusion: Conclusion | null;
  check_run_id: number | null;
  external_json: string;
  counts_json: string | null;
  error_json: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  superseded_by: number | null;
  outcome_ignored: number;
  counts_unknown: number;
}

export function createJobRows(core: StoreCore): JobRows {
  const db = core.sqlite;
  const nextSeq = db.prepare<[number], { seq: number }>("SELECT coalesce(max(seq), 0) + 1 AS seq FROM jobs WHERE build_id = ?");
  const insert = db.prepare<[string, number, number, string, string, number]>(
    `INSERT INTO jobs (id, build_id, seq, cell_json, state, external_json, created_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)`,
  );
  const selectOne = db.prepare<[string], JobRow>("SELECT * FROM jobs WHERE id = ?");
  const selectUnfinished = db.prepare<[], JobRow>("SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY build_id, seq");
  const selectByBuild = db.prepare<[number], JobRow>("SELECT * FROM jobs WHERE build_id = ? ORDER BY seq");
  const selectByBuilds = db.prepare<[string], JobRow>("SELECT * FROM jobs WHERE build_id IN (SELECT value FROM json_each(?)) ORDER BY build_id, seq");
  const start = db.prepare<[number, string]>(
    `UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ?, finished_at = NULL,
       conclusion = NULL, counts_json = NULL, error_json = NULL, failures_json = NULL, outcome_ignored = 0, counts_unknown = 0 WHERE id = ?`,
  );
  const deleteResults = db.prepare<[string]>("DELETE FROM test_results WHERE job_id = ?");
  const deleteLog = db.prepare<[string]>("DELETE FROM job_logs WHERE job_id = ?");
  const finish = db.prepare<[string, string, number, string | null, number, string | null, string | null, number, string]>(
    `UPDATE jobs SET state = ?, conclusion = ?, outcome_ignored = ?, counts_json = ?, counts_unknown = ?, error_json = ?, failures_json = ?, finished_at = ? WHERE id = ?`,
  );
  const cancel = db.prepare<[number, string]>(
    `UPDATE jobs SET state = 'cancelled', conclusion = 'cancelled', finished_at = ?
     WHERE id = ? AND state IN ('queued', 'running')`,
  );
  const requeue = db.prepare<[string]>("UPDATE jobs SET state = 'queued' WHERE id = ?");
  const setCheckRun = db.prepare<[number, string]>("UPDATE jobs SET check_run_id = ? WHERE id = ?");
  const supersede = db.prepare<[number, string]>("UPDATE jobs SET superseded_by = ? WHERE id = ?");
  const findByBranch = db.prepare<[string, string, string], JobRow>(
    `SELECT jobs.* FROM jobs JOIN builds ON builds.id = jobs.build_id
     WHERE builds.repo = ? AND builds.branch = ? AND builds.pr_number IS NULL AND builds.sha <> ?
       AND jobs.state IN ('queued', 'running') AND jobs.superseded_by IS NULL
     ORDER BY jobs.build_id, jobs.seq`,
  );
  const findByPr = db.prepare<[string, number, string], JobRow>(
    `SELECT jobs.* FROM jobs JOIN builds ON builds.id = jobs.build_id
     WHERE builds.repo = ? AND builds.pr_number = ? AND builds.sha <> ?
       AND jobs.state IN ('queued', 'running') AND jobs.superseded_by IS NULL
     ORDER BY jobs.build_id, jobs.seq`,
  );

  const mustGet = (jobId: string): JobRecord => {
    const row = selectOne.get(jobId);
    if (!row) throw new Error(`there is no job ${jobId}`);
    return toRecord(row);
  };
  const mustChange = (changes: number, jobId: string): void => {
    if (changes === 0) throw new Error(`there is no job ${jobId}`);
  };

  return {
    createJobs: (buildId, jobs) =>
      core.transact(`record the jobs of build #${buildId}`, () => {
        let seq = (nextSeq.get(buildId) as { seq: number }).seq;
        const now = core.clock.now();
        return jobs.map((job) => {
          const id = job.id ?? `${buildId}-${seq}`;
          insert.run(id, buildId, seq++, JSON.stringify(job.cell), JSON.stringify(job.external ?? {}), now);
          return mustGet(id);
        });
      }),
    listUnfinishedJobs: () => core.read("list the unfinished jobs", () => selectUnfinished.all().map(toRecord)),
    getJob: (id) =>
      core.read(`read job ${id}`, () => {
        const row = selectOne.get(id);
        return row ? toRecord(row) : undefined;
      }),
    listJobs: (buildId) => core.read(`list the jobs of build #${buildId}`, () => selectByBuild.all(buildId).map(toRecord)),
    listJobsOfBuilds: (buildIds) =>
      core.read(`list the jobs of ${buildIds.length} builds`, () => {
        const byBuild = new Map<number, JobRecord[]>(buildIds.map((id) => [id, []]));
        for (const row of selectByBuilds.all(JSON.stringify(buildIds))) byBuild.get(row.build_id)?.push(toRecord(row));
        return byBuild;
      }),
    recordJobStarted: (jobId, at) =>
      core.transact(`record the start of job ${jobId}`, () => {
        mustChange(start.run(at ?? core.clock.now(), jobId).changes, jobId);
        deleteResults.run(jobId);
        deleteLog.run(jobId);
        return mustGet(jobId);
      }),
    recordJobFinished: ({ jobId, conclusion, counts, countsUnknown, error, failures, at }) =>
      core.transact(`record the end of job ${jobId}`, () => {
        const state: JobState = conclusion === "cancelled" ? "cancelled" : "finished";
        const changes = finish.run(
          state,
          conclusion === "neutral" ? "failure" : conclusion,
          conclusion === "neutral" ? 1 : 0,
          counts ? JSON.stringify(counts) : null,
          countsUnknown ? 1 : 0,
          error ? JSON.stringify(error) : null,
          failures ? JSON.stringify(failures) : null,
          at ?? core.clock.now(),
          jobId,
        ).changes;
        mustChange(changes, jobId);
        return mustGet(jobId);
      }),
    recordJobCancelled: (jobId, at) =>
      core.transact(`cancel job ${jobId}`, () => cancel.run(at ?? core.clock.now(), jobId).changes > 0),
    recordJobRequeued: (jobId) =>
      core.transact(`requeue job ${jobId}`, () => mustChange(requeue.run(jobId).changes, jobId)),
    setCheckRunId: (jobId, checkRunId) =>
      core.transact(`record the check run of job ${jobId}`, () => mustChange(setCheckRun.run(checkRunId, jobId).changes, jobId)),
    findJobsToSupersede: (query) =>
      core.read(`find jobs superseded in ${query.repo}`, () => {
        if (query.prNumber !== undefined) return findByPr.all(query.repo, query.prNumber, query.exceptSha).map(toRecord);
        if (query.branch !== undefined) return findByBranch.all(query.repo, query.branch, query.exceptSha).map(toRecord);
        return [];
      }),
    markJobsSuperseded: (jobIds, byBuildId) =>
      core.transact(`mark jobs superseded by build #${byBuildId}`, () => {
        for (const jobId of jobIds) supersede.run(byBuildId, jobId);
      }),
  };
}

function toRecord(row: JobRow): JobRecord {
  const record: JobRecord = {
    id: row.id,
    buildId: row.build_id,
    seq: row.seq,
    cell: JSON.parse(row.cell_json) as Cell,
    state: row.state,
    attempts: row.attempts,
    external: JSON.parse(row.external_json) as Record<string, unknown>,
    createdAt: row.created_at,
  };
  if (row.conclusion !== null) record.conclusion = row.outcome_ignored ? "neutral" : row.conclusion;
  if (row.check_run_id !== null) record.checkRunId = row.check_run_id;
  if (row.counts_json !== null) record.counts = JSON.parse(row.counts_json) as TestCounts;
  if (row.counts_unknown) record.countsUnknown = true;
  if (row.error_json !== null) record.error = JSON.parse(row.error_json) as JobError;
  if (row.started_at !== null) record.startedAt = row.started_at;
  if (row.finished_at !== null) record.finishedAt = row.finished_at;
  if (row.superseded_by !== null) record.supersededBy = row.superseded_by;
  return record;
}

import type { Conclusion } from "../domain/events.js";
import type { Build, BuildSource, BuildTrigger, NewBuild, PlanState, Visibility } from "../domain/build.js";
import { deriveBuildStatus } from "./derive-build-status.js";
import type { JobRecord, JobRows, NewJob } from "./job-rows.js";
import type { StoreCore } from "./store-core.js";

export type { BuildSource, BuildTrigger, NewBuild, PlanState, Visibility } from "../domain/build.js";
/** The store's name for a build (src/domain/build.ts). */
export type BuildRecord = Build;

export interface ListBuildsOptions {
  repo?: string;
  branch?: string;
  visibility?: Visibility;
  /** Public builds, and private ones of these repositories only (a dashboard viewer's scope). */
  publicOr?: readonly string[];
  /** At most this many, newest first. Default 50. */
  limit?: number;
  /** Only builds with an id below this one (paging). */
  before?: number;
}

export interface BuildRows {
  /**
   * Records a build and, in the same transaction, its jobs (state queued).
   * Either both are written or neither. A private build makes the
   * repository's earlier public builds private too: a repository turned
   * private on GitHub hides its history on the dashboards at its next event.
   */
  createBuild(build: NewBuild & { jobs?: NewJob[] }): { build: BuildRecord; jobs: JobRecord[] };
  getBuild(id: number): BuildRecord | undefined;
  /** Builds of one commit (newest first): for dedupe of the same repo + sha. */
  findBuilds(query: { repo: string; sha: string }): BuildRecord[];
  listBuilds(options?: ListBuildsOptions): BuildRecord[];
  /**
   * Records a pending build's plan and, in the same transaction, its jobs.
   * Returns undefined (changing nothing) when the build is not pending: a
   * plan is recorded once.
   */
  recordBuildPlan(id: number, plan: { state: Exclude<PlanState, "pending">; details: Record<string, unknown>; jobs: NewJob[] }): { build: BuildRecord; jobs: JobRecord[] } | undefined;
  /** Builds whose plan is still pending, oldest first: what to plan after a restart. */
  listPendingBuilds(): BuildRecord[];
  /**
   * Counts one more attempt to plan a pending build, durably (kept in the
   * pending build's plan details, which the recorded plan replaces), and
   * returns the count including this one; 0 when the build is not pending.
   * Counted BEFORE planning, so an attempt that crashed the process counts.
   */
  notePlanAttempt(id: number): number;
  /** Every repository with builds, by name, with the source and visibility of its newest build. */
  listRepos(): RepoSummary[];
}

export interface RepoSummary {
  repo: string;
  source: BuildSource;
  visibility: Visibility;
  lastBuildId: number;
}

interface BuildRow {
  id: number;
  repo: string;
  source: BuildSource;
  visibility: Visibility;
  sha: string;
  branch: string | null;
  pr_number: number | null;
  event: string;
  trigger_json: string;
  created_at: number;
  plan_state: PlanState;
  plan_json: string;
}

interface JobSummaryRow {
  build_id: number;
  state: JobRecord["state"];
  conclusion: Conclusion | null;
  n: number;
}

export function createBuildRows(core: StoreCore, jobs: Pick<JobRows, "createJobs">): BuildRows {
  const db = core.sqlite;
  const insert = db.prepare<[string, string, string, string, string | null, number | null, string, string, number, PlanState]>(
    `INSERT INTO builds (repo, source, visibility, sha, branch, pr_number, event, trigger_json, created_at, plan_state)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const hideHistory = db.prepare<[string]>("UPDATE builds SET visibility = 'private' WHERE repo = ? AND visibility = 'public'");
  const updatePlan = db.prepare<[string, string, number]>("UPDATE builds SET plan_state = ?, plan_json = ? WHERE id = ? AND plan_state = 'pending'");
  const bumpAttempts = db.prepare<[number], { attempts: number }>(
    `UPDATE builds SET plan_json = json_set(plan_json, '$.attempts', coalesce(json_extract(plan_json, '$.attempts'), 0) + 1)
     WHERE id = ? AND plan_state = 'pending' RETURNING json_extract(plan_json, '$.attempts') AS attempts`,
  );
  const selectPending = db.prepare<[], BuildRow>("SELECT * FROM builds WHERE plan_state = 'pending' ORDER BY id");
  const selectOne = db.prepare<[number], BuildRow>("SELECT * FROM builds WHERE id = ?");
  const selectBySha = db.prepare<[string, string], BuildRow>("SELECT * FROM builds WHERE repo = ? AND sha = ? ORDER BY id DESC");
  // The ids as a JSON array: one statement whatever their number, and only their jobs are read.
  const selectSummary = db.prepare<[string], JobSummaryRow>(
    `SELECT build_id, state, CASE WHEN outcome_ignored = 1 THEN 'neutral' ELSE conclusion END AS conclusion, count(*) AS n FROM jobs
     WHERE build_id IN (SELECT value FROM json_each(?)) GROUP BY 1, 2, 3`,
  );
  const selectRepos = db.prepare<[], { repo: string; source: BuildSource; visibility: Visibility; last: number }>(
    `SELECT b.repo, b.source, b.visibility, b.id AS last FROM builds b
     JOIN (SELECT repo, max(id) AS last FROM builds GROUP BY repo) newest ON newest.last = b.id ORDER BY b.repo`,
  );

  const withStatus = (rows: BuildRow[]): BuildRecord[] => {
    if (rows.length === 0) return [];
    const byBuild = new Map<number, JobSummaryRow[]>();
    for (const summary of selectSummary.all(JSON.stringify(rows.map((row) => row.id)))) {
      const list = byBuild.get(summary.build_id) ?? [];
      list.push(summary);
      byBuild.set(summary.build_id, list);
    }
    return rows.map((row) => toRecord(row, byBuild.get(row.id) ?? []));
  };

  return {
    createBuild: (build) =>
      core.transact("record the build", () => {
        const result = insert.run(
          build.repo,
          build.source,
          build.visibility,
          build.sha,
          build.branch ?? null,
          build.prNumber ?? null,
          build.event,
          JSON.stringify(build.trigger ?? {}),
          core.clock.now(),
          build.planState ?? "planned",
        );
        const id = Number(result.lastInsertRowid);
        if (build.visibility === "private") hideHistory.run(build.repo);
        const created = build.jobs && build.jobs.length > 0 ? jobs.createJobs(id, build.jobs) : [];
        const [record] = withStatus([selectOne.get(id) as BuildRow]);
        return { build: record as BuildRecord, jobs: created };
      }),
    getBuild: (id) =>
      core.read(`read build #${id}`, () => {
        const row = selectOne.get(id);
        return row ? withStatus([row])[0] : undefined;
      }),
    recordBuildPlan: (id, plan) =>
      core.transact(`record the plan of build #${id}`, () => {
        if (updatePlan.run(plan.state, JSON.stringify(plan.details), id).changes === 0) return undefined;
        const created = plan.jobs.length > 0 ? jobs.createJobs(id, plan.jobs) : [];
        const [record] = withStatus([selectOne.get(id) as BuildRow]);
        return { build: record as BuildRecord, jobs: created };
      }),
    listRepos: () =>
      core.read("list repositories", () => selectRepos.all().map((row) => ({ repo: row.repo, source: row.source, visibility: row.visibility, lastBuildId: row.last }))),
    listPendingBuilds: () => core.read("list pending builds", () => withStatus(selectPending.all())),
    notePlanAttempt: (id) => core.transact(`count a planning attempt of build #${id}`, () => bumpAttempts.get(id)?.attempts ?? 0),
    findBuilds: ({ repo, sha }) => core.read(`find builds of ${repo}@${sha}`, () => withStatus(selectBySha.all(repo, sha))),
    listBuilds: (options = {}) =>
      core.read("list builds", () => {
        const filters: [string, string | number | undefined][] = [
          ["repo = ?", options.repo],
          ["branch = ?", options.branch],
          ["visibility = ?", options.visibility],
          // Public only: the (visibility, id) index, newest first. Public or some repositories: the unary
          // plus keeps SQLite from an OR of two indexes (then a sort of every matching build); walking
          // the ids down stops after one page.
          ["visibility = ?", options.publicOr?.length === 0 ? "public" : undefined],
          ["(+visibility = 'public' OR +repo IN (SELECT value FROM json_each(?)))", options.publicOr && options.publicOr.length > 0 ? JSON.stringify(options.publicOr) : undefined],
          ["id < ?", options.before],
        ];
        const used = filters.filter(([, value]) => value !== undefined);
        const where = used.map(([clause]) => clause);
        const params = used.map(([, value]) => value as string | number);
        const sql =
          `SELECT * FROM builds ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
        return withStatus(db.prepare<unknown[], BuildRow>(sql).all(...params, options.limit ?? 50));
      }),
  };
}

function toRecord(row: BuildRow, summaries: JobSummaryRow[]): BuildRecord {
  const record: BuildRecord = {
    id: row.id,
    repo: row.repo,
    source: row.source,
    visibility: row.visibility,
    sha: row.sha,
    event: row.event,
    // The store wrote it (JSON of a BuildTrigger) and only it writes this column.
    trigger: JSON.parse(row.trigger_json) as BuildTrigger,
    planState: row.plan_state,
    plan: JSON.parse(row.plan_json) as Record<string, unknown>,
    createdAt: row.created_at,
    status: deriveBuildStatus(
      summaries.map((s) => ({ state: s.state, conclusion: s.conclusion ?? undefined, count: s.n })),
    ),
  };
  if (row.branch !== null) record.branch = row.branch;
  if (row.pr_number !== null) record.prNumber = row.pr_number;
  return record;
}

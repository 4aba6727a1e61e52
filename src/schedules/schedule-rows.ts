import type { StoreCore } from "../store/store-core.js";
import type { BuildRecord } from "../store/build-rows.js";

/**
 * The store's answers the scheduler needs, read from the builds table (no
 * table of its own: a schedule lives in the default branch's config, as the
 * latest build of that branch planned it, and each tick is a build).
 */
export interface ScheduleRows {
  /** Per GitHub repository, its latest build on its default branch whose plan has a `schedule`. */
  githubScheduleBuilds(): BuildRecord[];
  /** When the latest scheduled build of this repository, branch and cron ticked (`request.schedule.at`). */
  lastTick(repo: string, branch: string, cron: string): number | undefined;
}

export function createScheduleRows(core: StoreCore, getBuild: (id: number) => BuildRecord | undefined): ScheduleRows {
  const db = core.sqlite;
  const latestDefaultBranchBuilds = db.prepare<[], { id: number }>(
    `SELECT max(id) AS id FROM builds
     WHERE source = 'github' AND plan_state IN ('planned', 'config-error')
       AND branch = json_extract(trigger_json, '$.request.repo.defaultBranch')
       AND json_extract(trigger_json, '$.request.upstream') IS NULL
     GROUP BY repo`,
  );
  const lastTick = db.prepare<[string, string, string], { at: number | null }>(
    `SELECT max(json_extract(trigger_json, '$.request.schedule.at')) AS at FROM builds
     WHERE repo = ? AND branch = ? AND event = 'schedule' AND json_extract(trigger_json, '$.request.schedule.cron') = ?`,
  );
  return {
    githubScheduleBuilds: () =>
      core.read("list the builds carrying schedules", () =>
        latestDefaultBranchBuilds
          .all()
          .map((row) => getBuild(row.id))
          .filter((build): build is BuildRecord => Array.isArray(build?.plan.schedule) && build.plan.schedule.length > 0),
      ),
    lastTick: (repo, branch, cron) => core.read(`last scheduled build of ${repo}`, () => lastTick.get(repo, branch, cron)?.at ?? undefined),
  };
}

import { cellKey, cellName } from "../domain/cell.js";
import type { QuarantineEntry } from "../domain/test-policy.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { Store } from "../store/store.js";

/** What the repository page shows at a glance (render-repo-glance.ts draws it). */
export interface RepoGlance {
  /** Newest first: the commits × cells grid and the trends. */
  builds: { build: BuildRecord; jobs: JobRecord[] }[];
  /** Every cell of those builds, as columns: key and name, in first-seen order. */
  cells: { key: string; name: string }[];
  /** Tests that gave two outcomes on one commit and cell, most often first. */
  flaky: { test: string; commits: number; failed: number; runs: number }[];
  /** The newest planned build's `quarantine:` entries. */
  quarantine: QuarantineEntry[];
}

/** Builds the grid and trends look at. */
const RECENT_BUILDS = 30;
/** Builds the flaky tests are looked for in. */
const FLAKY_WINDOW = 200;

/**
 * Reads a repository's recent history for its page: one listBuilds, one
 * listJobsOfBuilds, one aggregate query over the results of the last
 * FLAKY_WINDOW builds (the test_results index by job). Bounded, synchronous.
 */
export function readRepoGlance(store: Store, repo: string): RepoGlance {
  const recent = store.listBuilds({ repo, limit: RECENT_BUILDS });
  const jobsOf = store.listJobsOfBuilds(recent.map((build) => build.id));
  const builds = recent.map((build) => ({ build, jobs: jobsOf.get(build.id) ?? [] }));
  const cells = new Map<string, string>();
  for (const { jobs } of [...builds].reverse()) for (const job of jobs) if (!cells.has(cellKey(job.cell))) cells.set(cellKey(job.cell), cellName(job.cell));
  const flaky = store.read("read the flaky tests", () =>
    store.sqlite
      .prepare<[string, string, number], { test: string; commits: number; failed: number; runs: number }>(
        `WITH recent AS (SELECT id, sha FROM builds WHERE repo = ? AND id >= coalesce((SELECT min(id) FROM (SELECT id FROM builds WHERE repo = ? ORDER BY id DESC LIMIT ?)), 0)),
              runs AS (SELECT r.test_id AS test, b.sha AS sha, j.cell_key AS cell, r.outcome AS outcome
                       FROM recent b JOIN jobs j ON j.build_id = b.id JOIN test_results r ON r.job_id = j.id
                       WHERE r.outcome IN ('passed', 'failed', 'error')),
              mixed AS (SELECT test, sha, cell FROM runs GROUP BY test, sha, cell HAVING min(outcome = 'passed') = 0 AND max(outcome = 'passed') = 1)
         SELECT m.test AS test, count(DISTINCT m.sha || ' ' || m.cell) AS commits,
                (SELECT count(*) FROM runs x WHERE x.test = m.test AND x.outcome <> 'passed') AS failed,
                (SELECT count(*) FROM runs x WHERE x.test = m.test) AS runs
         FROM mixed m GROUP BY m.test ORDER BY commits DESC, failed DESC, m.test LIMIT 20`,
      )
      .all(repo, repo, FLAKY_WINDOW),
  );
  const policy = recent.find((build) => build.planState === "planned")?.plan.testPolicy as { quarantine?: QuarantineEntry[] } | undefined;
  return { builds, cells: [...cells].map(([key, name]) => ({ key, name })), flaky, quarantine: policy?.quarantine ?? [] };
}

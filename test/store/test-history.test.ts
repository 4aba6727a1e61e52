import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import { emptyCounts, type TestOutcome } from "../../src/domain/events.js";
import { silentLogger } from "../../src/domain/logger.js";
import { migrateSchema } from "../../src/store/migrate-schema.js";
import { migrations } from "../../src/store/migrations.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { makeTempDir } from "./temp-dir.js";

const py311 = { python: "3.11", django: "5.2" };
const py313 = { python: "3.13", django: "5.2" };

describe("store: per-test history", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let now: number;
  beforeEach(() => {
    temp = makeTempDir();
    now = 1_700_000_000_000;
    store = openStore({ dataDir: temp.dir, clock: { now: () => now, sleep: async () => {} } });
  });
  afterEach(() => {
    store.close();
    temp.remove();
  });

  /** One build of `sha` with one finished job per cell, each with the given outcomes. */
  function build(sha: string, cells: Array<[typeof py311, Record<string, TestOutcome>]>, where: { branch?: string; prNumber?: number; repo?: string; state?: "finished" | "cancelled" } = {}) {
    now += 1000;
    const { build: record, jobs } = store.createBuild({
      repo: where.repo ?? "o/r", source: "github", visibility: "public", sha, branch: where.branch, prNumber: where.prNumber, event: "push",
      jobs: cells.map(([cell]) => ({ cell })),
    });
    jobs.forEach((job, i) => {
      store.recordJobStarted(job.id);
      const outcomes = cells[i]?.[1] ?? {};
      store.addTestResults(job.id, Object.entries(outcomes).map(([id, outcome], n) => ({ id, outcome, durationMs: 10 + n })));
      if (where.state === "cancelled") store.recordJobCancelled(job.id);
      else store.recordJobFinished({ jobId: job.id, conclusion: Object.values(outcomes).includes("failed") ? "failure" : "success", counts: emptyCounts() });
    });
    return { build: record, jobs };
  }

  it("answers per test: outcome and duration per cell, commit and attempt, by repository, branch and cell, newest first", () => {
    build("a1", [[py311, { "t.A.test_x": "passed" }], [py313, { "t.A.test_x": "failed" }]], { branch: "main" });
    build("b2", [[py311, { "t.A.test_x": "failed" }]], { branch: "main" });
    build("c3", [[py311, { "t.A.test_x": "error" }]], { branch: "feature", prNumber: 4 });
    build("d4", [[py311, { "t.A.test_x": "failed" }]], { branch: "main", repo: "other/repo" });
    build("e5", [[py311, { "t.A.test_x": "passed" }]], { branch: "main", state: "cancelled" });

    const all = store.listTestHistory({ repo: "o/r", testId: "t.A.test_x" });
    expect(all.map((r) => [r.sha, r.cellKey, r.outcome])).toEqual([["c3", "py3.11-dj5.2", "error"], ["b2", "py3.11-dj5.2", "failed"], ["a1", "py3.13-dj5.2", "failed"], ["a1", "py3.11-dj5.2", "passed"]]);
    expect(all[0]).toMatchObject({ branch: "feature", prNumber: 4, durationMs: 10 });
    expect(store.listTestHistory({ repo: "o/r", testId: "t.A.test_x", branch: "main", cellKey: "py3.11-dj5.2" }).map((r) => r.sha)).toEqual(["b2", "a1"]);
    expect(store.listTestHistory({ repo: "o/r", testId: "t.A.test_x", limit: 1 }).map((r) => r.sha)).toEqual(["c3"]);
    const b2 = store.listTestHistory({ repo: "o/r", testId: "t.A.test_x", branch: "main" })[0];
    expect(store.listTestHistory({ repo: "o/r", testId: "t.A.test_x", maxBuildId: (b2?.buildId ?? 0) - 1, exceptJobId: "none" }).map((r) => r.sha)).toEqual(["a1", "a1"]);
  });

  it("lists the finished attempts of one cell at one commit, across builds (re-runs), oldest first", () => {
    const first = build("a1", [[py311, { "t.A.test_x": "failed", "t.A.test_y": "passed" }], [py313, { "t.A.test_x": "passed" }]]);
    const rerun = store.createBuild({ repo: "o/r", source: "github", visibility: "public", sha: "a1", event: "rerun-failed", jobs: [{ cell: py311, external: { onlyTests: ["t.A.test_x"] } }] });
    const job = rerun.jobs[0]?.id ?? "";
    store.recordJobStarted(job);
    store.addTestResults(job, [{ id: "t.A.test_x", outcome: "passed", durationMs: 5 }]);
    store.recordJobFinished({ jobId: job, conclusion: "success" });

    const attempts = store.listCellAttempts({ repo: "o/r", sha: "a1", cellKey: "py3.11-dj5.2" });
    expect(attempts.map((a) => a.jobId)).toEqual([first.jobs[0]?.id, job]);
    expect(attempts[1]).toMatchObject({ onlyTests: ["t.A.test_x"], results: [{ id: "t.A.test_x", outcome: "passed", durationMs: 5 }] });
    expect(store.listCellAttempts({ repo: "o/r", sha: "zz", cellKey: "py3.11-dj5.2" })).toEqual([]);
  });

  it("says which tests failed before in the repository, and finds the last attempt of a cell on a branch or pull request", () => {
    const main1 = build("a1", [[py311, { "t.old": "failed", "t.new": "passed" }]], { branch: "main" });
    build("p1", [[py311, { "t.pr": "failed" }]], { branch: "feature", prNumber: 9 });
    const later = build("a2", [[py311, { "t.new": "failed" }]], { branch: "main" });
    expect([...store.findTestsFailedBefore({ repo: "o/r", testIds: ["t.old", "t.new", "t.never"], exceptJobId: later.jobs[0]?.id ?? "" })]).toEqual(["t.old"]);
    expect(store.findLatestCellAttempt({ repo: "o/r", cellKey: "py3.11-dj5.2", branch: "main", beforeBuildId: later.build.id })).toEqual({ jobId: main1.jobs[0]?.id, sha: "a1" });
    expect(store.findLatestCellAttempt({ repo: "o/r", cellKey: "py3.11-dj5.2", prNumber: 9, beforeBuildId: later.build.id + 1 })?.sha).toBe("p1");
    expect(store.findLatestCellAttempt({ repo: "o/r", cellKey: "py3.13-dj5.2", branch: "main", beforeBuildId: later.build.id + 1 })).toBeUndefined();
  });

  it("answers the history queries through indexes, not table scans", () => {
    const plan = (sql: string) => (store.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join("\n");
    const history = plan(`SELECT 1 FROM test_results tr JOIN jobs ON jobs.id = tr.job_id JOIN builds ON builds.id = jobs.build_id WHERE tr.test_id = 'x' AND builds.repo = 'o/r' ORDER BY tr.rowid DESC LIMIT 20`);
    expect(history).toMatch(/test_results_test/);
    expect(history).not.toMatch(/SCAN (tr|test_results)\b/);
    // Newest first straight from the index: it stops after the limit instead of sorting a test's whole history.
    expect(history).not.toMatch(/TEMP B-TREE/);
    const cell = plan(`SELECT 1 FROM builds JOIN jobs ON jobs.build_id = builds.id AND jobs.cell_key = 'py3.11-dj5.2' WHERE builds.repo = 'o/r' AND builds.branch = 'main' AND builds.pr_number IS NULL`);
    expect(cell).toMatch(/SEARCH builds USING INDEX builds_(branch|pr)/);
    expect(cell).toMatch(/jobs_build_cell/);
  });

  it("migration 3 indexes the results of a database written before it, keeping them", () => {
    const db = new Database(`${temp.dir}/old.sqlite`);
    migrateSchema(db, { path: "old", log: silentLogger, migrations: migrations.slice(0, 2) });
    db.prepare("INSERT INTO builds (repo, source, visibility, sha, branch, event, created_at) VALUES ('o/r', 'github', 'public', 'a1', 'main', 'push', 1)").run();
    db.prepare(`INSERT INTO jobs (id, build_id, seq, cell_json, state, created_at) VALUES ('j1', 1, 1, '{"python":"3.11","django":"5.2"}', 'finished', 1)`).run();
    db.prepare("INSERT INTO test_results (job_id, test_id, outcome, duration_ms) VALUES ('j1', 't.x', 'failed', 3)").run();
    migrateSchema(db, { path: "old", log: silentLogger });
    expect(db.prepare("SELECT cell_key FROM jobs WHERE id = 'j1'").get()).toEqual({ cell_key: "py3.11-dj5.2" });
    expect(db.prepare("SELECT count(*) AS n FROM test_results WHERE test_id = 't.x'").get()).toEqual({ n: 1 });
    db.close();
  });
});

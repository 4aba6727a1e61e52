/**
 * Database service benchmarks (issue 13):
 *
 * - start-to-ready: `startService` for ponyci/postgres, ponyci/mariadb (what
 *   `mysql` cells run on) and ponyci/postgis (issue 22) (create, start, first
 *   successful readiness check from inside the service's namespace), median
 *   of N each; target ≤ 2 s. MariaDB and PostGIS once more with a project's
 *   own login to create (issue 22: django-sortedm2m's root/mysql, a user and
 *   database of its own), which adds a client call after readiness.
 * - cell wall time: the two cells of test/fixtures/projects/django-db-tox,
 *   identical tests on PostgreSQL and on SQLite (its twin), warm (one untimed
 *   run each first), N interleaved runs each; the ratio of the medians. The
 *   service starts while the environment is looked up, so its start-up
 *   should mostly hide behind that.
 *
 * Run after `npm run build`: `node dist/bench/services-bench.js [runs] [ready]` (default 5, at most 20;
 * `ready`: the start-to-ready rows only).
 */
import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Cell } from "../src/domain/cell.js";
import type { ServiceName } from "../src/domain/database.js";
import type { DatabaseLogin } from "../src/domain/database-logins.js";
import { planMatrix } from "../src/builds/plan-matrix.js";
import { planJobSpec } from "../src/builds/plan-job-spec.js";
import { createLocalRunner } from "../runner/src/create-local-runner.js";
import { resolveServiceImage } from "../runner/src/services/resolve-service-image.js";
import { startService } from "../runner/src/services/start-service.js";
import { withBenchContext, type BenchContext } from "./support/bench-context.js";
import { BENCH_LIMITS } from "./support/bench-limits.js";
import type { BenchRow } from "./support/bench-row.js";
import { assertCellSucceeded, collectCellRun } from "./support/collect-cell-run.js";
import { isMainModule } from "./support/is-main-module.js";
import { fixtureDir, makeRepoFrom } from "./support/make-example-repo.js";
import { formatMs, formatSummary, summariseSamples } from "./support/summarise-samples.js";
import { readFileSync, existsSync } from "node:fs";

/** Issue 13: a service accepts connections at most this long after it is created. */
export const READY_TARGET_MS = 2000;
const MAX_RUNS = 20;
const CELL_BUDGET_MS = 5 * 60_000;

export interface ServicesBenchOptions {
  context?: BenchContext;
  runs?: number;
  /** Only the start-to-ready rows. */
  readyOnly?: boolean;
}

export async function runServicesBench(options: ServicesBenchOptions = {}): Promise<BenchRow[]> {
  const runs = Math.min(Math.max(1, Math.floor(options.runs ?? 5)), MAX_RUNS);
  return withBenchContext(options.context, async (context) => [...(await benchReady(context, runs)), ...(options.readyOnly ? [] : await benchCells(context, runs))]);
}

async function benchReady(context: BenchContext, runs: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const login: DatabaseLogin[] = [{ user: "project", password: "secret", database: "projectdb" }];
  const variants: Array<{ name: ServiceName; logins?: DatabaseLogin[] }> = [{ name: "postgres" }, { name: "mariadb" }, { name: "postgis" }, { name: "mariadb", logins: login }, { name: "postgis", logins: login }];
  for (const { name, logins } of variants) {
    const image = await resolveServiceImage(context.docker, "auto", { name });
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const scratchDir = path.join(context.dataDir, `service-${randomUUID().slice(0, 8)}`);
      await mkdir(scratchDir, { recursive: true });
      const t0 = performance.now();
      const service = await startService(context.docker, {
        jobId: `bench-service-${process.pid}-${i}`,
        service: { name, args: [] },
        image,
        scratchDir,
        limits: { memoryBytes: 1024 ** 3, nanoCpus: BENCH_LIMITS.nanoCpus, pidsLimit: 512 },
        ...(logins ? { logins } : {}),
      });
      samples.push(performance.now() - t0);
      await service.stop();
      await rm(scratchDir, { recursive: true, force: true });
    }
    const summary = summariseSamples(samples);
    const what = `${name} start-to-ready (${image})${logins ? ", creating a project's login" : ""}`;
    console.log(`${what}: ${formatSummary(summary)}`);
    rows.push({ bench: "services", metric: what, value: formatSummary(summary), target: `≤ ${formatMs(READY_TARGET_MS)}`, met: summary.median <= READY_TARGET_MS });
  }
  return rows;
}

async function benchCells(context: BenchContext, runs: number): Promise<BenchRow[]> {
  const source = fixtureDir("django-db-tox");
  const read = (file: string) => (existsSync(path.join(source, file)) ? readFileSync(path.join(source, file), "utf8") : undefined);
  const plan = planMatrix(read);
  const repo = await makeRepoFrom(source, path.join(context.dataDir, `repo-db-${randomUUID().slice(0, 8)}`), "django-db-tox");
  const runner = createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell: BENCH_LIMITS });
  const byDatabase = new Map(plan.cells.map((cell) => [cell.database ?? "sqlite", cell] as const));
  const runOnce = async (cell: Cell) => {
    const begin = performance.now();
    const spec = { jobId: `bench-db-${randomUUID().slice(0, 8)}`, source: { url: repo.dir, sha: repo.sha }, ...planJobSpec(plan, cell) };
    const run = await collectCellRun(runner.cells.runCell(spec, { signal: AbortSignal.timeout(CELL_BUDGET_MS) }), begin);
    assertCellSucceeded(run, `${cell.database ?? "sqlite"} cell`);
    return run;
  };
  const pg = byDatabase.get("postgres");
  const sqlite = byDatabase.get("sqlite");
  if (!pg || !sqlite) throw new Error(`django-db-tox should plan a sqlite and a postgres cell, got ${plan.cells.length}`);
  await runOnce(sqlite);
  await runOnce(pg);
  const wall: Record<"sqlite" | "postgres", number[]> = { sqlite: [], postgres: [] };
  const tests: Record<"sqlite" | "postgres", number[]> = { sqlite: [], postgres: [] };
  for (let i = 0; i < runs; i++) {
    for (const [key, cell] of [["sqlite", sqlite], ["postgres", pg]] as const) {
      const run = await runOnce(cell);
      wall[key].push(run.wallMs);
      tests[key].push(run.finished.testDurationMs);
    }
  }
  const s = { sqlite: summariseSamples(wall.sqlite), postgres: summariseSamples(wall.postgres) };
  const t = { sqlite: summariseSamples(tests.sqlite), postgres: summariseSamples(tests.postgres) };
  const ratio = s.postgres.median / s.sqlite.median;
  console.log(`SQLite cell wall: ${formatSummary(s.sqlite)}; test time ${formatSummary(t.sqlite)}`);
  console.log(`PostgreSQL cell wall: ${formatSummary(s.postgres)}; test time ${formatSummary(t.postgres)}`);
  return [
    { bench: "services", metric: "django-db-tox cell wall, SQLite", value: formatSummary(s.sqlite) },
    { bench: "services", metric: "django-db-tox cell wall, PostgreSQL", value: formatSummary(s.postgres) },
    { bench: "services", metric: "PostgreSQL / SQLite cell wall (medians)", value: `${ratio.toFixed(2)}× (+${formatMs(s.postgres.median - s.sqlite.median)})` },
    { bench: "services", metric: "PostgreSQL / SQLite test time (medians)", value: `${(t.postgres.median / t.sqlite.median).toFixed(2)}× (${formatMs(t.sqlite.median)} → ${formatMs(t.postgres.median)})` },
  ];
}

if (isMainModule(import.meta.url)) {
  const { renderBenchTable } = await import("./support/bench-row.js");
  const rows = await runServicesBench({ runs: Number(process.argv[2] ?? 5), readyOnly: process.argv[3] === "ready" });
  console.log(`\n${renderBenchTable(rows)}`);
}

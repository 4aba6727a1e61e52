/**
 * Push-to-done benchmark (issue 6, "Benchmark"): `git push` to a bare
 * repository with Pony CI's post-receive hook → the bridge → the build
 * service → the embedded queue → every cell of a 3-cell matrix finished
 * (test/fixtures/projects/bridge-bench: 20 quick Django tests; Python 3.11 ×
 * Django 4.2, 3.11 × 5.2, 3.13 × 5.2), warm caches. An untimed warm-up push
 * builds or finds the environments; then `runs` pushes of a new commit are
 * timed, and the medians are printed beside the tests' own time (what the
 * harness measured inside the containers). Target: push → all done ≤ 2 s.
 *
 * Run after `npm run build`: `node dist/bench/push-to-done-bench.js [runs] [concurrency]` (default 5 and 3).
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { createBridgeHandler } from "../src/bridge/create-bridge-handler.js";
import { installHook } from "../src/bridge/install-hook.js";
import type { CellFinished } from "../src/builds/build-listener.js";
import { createBuildService, type CellJobPayload } from "../src/builds/create-build-service.js";
import { createJobProcessor } from "../src/builds/create-job-processor.js";
import { createEmbeddedQueue } from "../src/queue/create-embedded-queue.js";
import { openStore } from "../src/store/open-store.js";
import { createLocalRunner } from "../runner/src/create-local-runner.js";
import { withBenchContext, type BenchContext } from "./support/bench-context.js";
import { BENCH_LIMITS } from "./support/bench-limits.js";
import type { BenchRow } from "./support/bench-row.js";
import { isMainModule } from "./support/is-main-module.js";
import { formatMs, summariseSamples } from "./support/summarise-samples.js";

const GIT_ENV = { GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@localhost", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@localhost" };
const TARGET_MS = 2_000;
const EXPECTED_CELLS = 3;
const EXPECTED_TESTS = 20;
/** Bound on one push's build, warm-up (three environment builds) included. */
const BUILD_BUDGET_MS = 20 * 60_000;

export interface PushToDoneBenchOptions {
  context?: BenchContext;
  /** Timed pushes (default 5, at most 20); medians are reported. */
  runs?: number;
  /** Cells run at once (the queue's concurrency). Default 3: the whole matrix at once. */
  concurrency?: number;
}

interface PushSample {
  /** From spawning `git push` to the last cell's `finished`. */
  totalMs: number;
  /** `git push` itself, the hook's round trip included. */
  pushMs: number;
  /** The slowest cell's test time, and the sum over cells (harness). */
  maxTestMs: number;
  sumTestMs: number;
  /** The slowest cell's wall time from job start to finish (store). */
  maxCellMs: number;
}

/** Time `runs` pushes of bridge-bench to done; rows (medians) for the summary table. */
export async function runPushToDoneBench(options: PushToDoneBenchOptions = {}): Promise<BenchRow[]> {
  const runs = Math.min(Math.max(1, Math.floor(options.runs ?? 5)), 20);
  const concurrency = Math.min(Math.max(1, Math.floor(options.concurrency ?? 3)), 4);
  return withBenchContext(options.context, async (context) => {
    // 1. The server: store, build service, queue with the real runner, bridge on 127.0.0.1.
    const store = openStore({ dataDir: path.join(context.dataDir, "push-bench-store") });
    const runner = createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell: BENCH_LIMITS });
    const queue = createEmbeddedQueue<CellJobPayload>({ store, concurrency });
    const builds = createBuildService({
      store,
      queue,
      readFiles: (request, paths) => runner.checkout.readFiles({ url: request.repo.cloneUrl, sha: request.sha }, paths),
      listeners: [],
    });
    const done = new Map<number, { at: number; cells: CellFinished[] }>();
    const waiters = new Map<number, () => void>();
    const jobs = createJobProcessor({
      store,
      runner: runner.cells,
      listeners: [
        {
          finished(event) {
            const entry = done.get(event.build.id) ?? { at: 0, cells: [] };
            entry.cells.push(event);
            entry.at = performance.now();
            done.set(event.build.id, entry);
            if (isDone(event.build.id)) waiters.get(event.build.id)?.();
          },
        },
      ],
    });
    queue.start(jobs.process, jobs.hooks);

    /** Planned, and every cell ended (a build still being planned has no jobs yet). */
    const isDone = (id: number) => {
      const build = store.getBuild(id);
      return build !== undefined && build.planState !== "pending" && build.status.state === "finished";
    };

    const root = path.join(context.dataDir, "push-bench");
    const bare = path.join(root, "server", "bench-project.git");
    const secretFile = path.join(root, "bench-project.secret");
    const secret = randomBytes(32).toString("hex");
    await execa("git", ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
    await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
    const handler = createBridgeHandler({ repos: [{ name: "bench-project", url: bare, secret, visibility: "private", after: [] }], store, builds });
    const server = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;

    try {
      // 2. The hook, as an admin installs it; a developer's clone.
      await installHook({ bareRepo: bare, repo: "bench-project", url: `http://127.0.0.1:${port}`, secretFile });
      const clone = path.join(root, "clone");
      await cp(fixtureDir("bridge-bench"), clone, { recursive: true, filter: (source) => !/(__pycache__|\.pyc$)/.test(source) });
      await execa("git", ["init", "--quiet", "--initial-branch=main"], { cwd: clone });
      await execa("git", ["remote", "add", "origin", bare], { cwd: clone });
      console.log(`push→done: ${EXPECTED_CELLS} cells × ${EXPECTED_TESTS} tests, queue concurrency ${concurrency}, ${runs} timed pushes`);

      // 3. Warm-up: environments built or found, mirror cloned.
      const warm = await pushAndWait(clone, "warm-up");
      console.log(`  warm-up: ${formatMs(warm.totalMs)}`);

      // 4. Timed pushes.
      const samples: PushSample[] = [];
      for (let i = 0; i < runs; i++) {
        const sample = await pushAndWait(clone, `run ${i + 1}`);
        samples.push(sample);
        console.log(`  push ${i + 1}: push→done ${formatMs(sample.totalMs)} (git push ${formatMs(sample.pushMs)}); slowest cell ${formatMs(sample.maxCellMs)}; tests (harness) slowest ${formatMs(sample.maxTestMs)}, Σ ${formatMs(sample.sumTestMs)}`);
      }
      const median = (pick: (s: PushSample) => number) => summariseSamples(samples.map(pick));
      const total = median((s) => s.totalMs);
      const rows: BenchRow[] = [
        { bench: "push→done", metric: `git push → ${EXPECTED_CELLS} cells finished (median of ${runs})`, value: `${formatMs(total.median)} (min ${formatMs(total.min)}, max ${formatMs(total.max)})`, target: `≤ ${formatMs(TARGET_MS)}`, met: total.median <= TARGET_MS },
        { bench: "push→done", metric: "git push itself (hook round trip)", value: formatMs(median((s) => s.pushMs).median) },
        { bench: "push→done", metric: "slowest cell, job start → finish", value: formatMs(median((s) => s.maxCellMs).median) },
        { bench: "push→done", metric: "tests' own time (slowest cell, harness)", value: formatMs(median((s) => s.maxTestMs).median) },
        { bench: "push→done", metric: "tests' own time (Σ over cells)", value: formatMs(median((s) => s.sumTestMs).median) },
      ];
      console.log(`  median push→done ${formatMs(total.median)} beside the tests' own time ${formatMs(median((s) => s.maxTestMs).median)} (slowest cell)`);
      return rows;
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.stop({ graceMs: 5_000 });
      store.close();
    }

    async function pushAndWait(clone: string, label: string): Promise<PushSample> {
      await writeFile(path.join(clone, "BENCH_RUN"), `${label} ${Date.now()}\n`);
      await execa("git", ["add", "--all"], { cwd: clone });
      await execa("git", ["commit", "--quiet", "-m", label], { cwd: clone, env: GIT_ENV });
      const begin = performance.now();
      const push = await execa("git", ["push", "origin", "main"], { cwd: clone, all: true });
      const pushMs = performance.now() - begin;
      const id = Number(/Pony CI: build #(\d+) queued/.exec(push.all ?? "")?.[1]);
      if (!Number.isInteger(id)) throw new Error(`the push queued no build: ${push.all ?? ""}`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`build #${id} not done within ${BUILD_BUDGET_MS} ms`)), BUILD_BUDGET_MS);
        const finish = () => {
          clearTimeout(timer);
          resolve();
        };
        waiters.set(id, finish);
        if (isDone(id)) finish();
      });
      waiters.delete(id);
      const entry = done.get(id);
      const jobs = store.listJobs(id);
      if (!entry || jobs.length !== EXPECTED_CELLS) throw new Error(`build #${id} ran ${jobs.length} cells, not ${EXPECTED_CELLS}`);
      for (const job of jobs) {
        if (job.conclusion !== "success" || job.counts?.passed !== EXPECTED_TESTS) {
          throw new Error(`build #${id}: cell py${job.cell.python}-dj${job.cell.django} concluded ${job.conclusion ?? job.state} with ${JSON.stringify(job.counts)} (${job.error?.message ?? ""}); fix that before benchmarking`);
        }
      }
      return {
        totalMs: entry.at - begin,
        pushMs,
        maxTestMs: Math.max(...entry.cells.map((c) => c.finished.testDurationMs)),
        sumTestMs: entry.cells.reduce((sum, c) => sum + c.finished.testDurationMs, 0),
        maxCellMs: Math.max(...jobs.map((job) => (job.finishedAt ?? 0) - (job.startedAt ?? 0))),
      };
    }
  });
}

/** test/fixtures/projects/<name>, from the sources (bench/) or the build (dist/bench/). */
function fixtureDir(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "test", "fixtures", "projects", name);
    if (existsSync(path.join(candidate, "manage.py"))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`test/fixtures/projects/${name} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

if (isMainModule(import.meta.url)) {
  const rows = await runPushToDoneBench({ runs: process.argv[2] ? Number(process.argv[2]) : undefined, concurrency: process.argv[3] ? Number(process.argv[3]) : undefined });
  const { renderBenchTable } = await import("./support/bench-row.js");
  console.log(`\n${renderBenchTable(rows)}`);
}

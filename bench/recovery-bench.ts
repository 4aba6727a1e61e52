/**
 * Recovery benchmark (issue 5, "Benchmark"):
 *
 * - restart to resumed work: `ponyci serve` (the compiled server, a real
 *   child process) runs a cell of test/fixtures/projects/django-slow, is
 *   killed with SIGKILL while the test container runs, and is started again
 *   on the same data directory. Timed from the new process's spawn to (a) its
 *   webhook endpoint answering (GET /ping, polled every 50 ms) and (b) the
 *   requeued job's test container started again (Docker's `State.StartedAt`).
 *   GitHub is the fake of test/support/fake-github-server.ts. Median of N.
 * - store write cost per finished cell: every store call one cell causes
 *   (build + job, queue row claimed and finished, three check-run writes
 *   through the outbox rows, the start, 200 test results, 1 MiB of log through
 *   the log buffer, the finish), timed on a fresh database; median of N, with
 *   the SQL statements executed and the rows changed.
 *
 * Run after `npm run build`: `node dist/bench/recovery-bench.js [restarts] [storeRuns]` (default 3 and 9).
 */
import { randomUUID } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { createLogBuffer } from "../src/store/create-log-buffer.js";
import { systemClock } from "../src/domain/clock.js";
import { createQueueRows } from "../src/queue/queue-rows.js";
import { createOutboxRows } from "../src/outbox/outbox-rows.js";
import type { TestResult } from "../src/domain/events.js";
import { createDocker } from "../runner/src/docker/create-docker.js";
import { LABEL_JOB, LABEL_OWNER } from "../runner/src/docker/labels.js";
import { startFakeGitHubServer, CHECK_RUN, CHECK_RUNS, type FakeGitHubServer } from "../test/support/fake-github-server.js";
import { spawnPonyCi, waitForPing, type PonyCiProcess } from "../test/recovery/support/ponyci-process.js";
import { APP_ID, testPrivateKey, postWebhook, pushPayload, WEBHOOK_SECRET } from "../test/support/signed-webhooks.js";
import { renderBenchTable, type BenchRow } from "./support/bench-row.js";
import { isMainModule } from "./support/is-main-module.js";
import { formatMs, formatSummary, summariseSamples } from "./support/summarise-samples.js";

export interface RecoveryBenchOptions {
  /** Kill-and-restart rounds (default 3, at most 10). */
  restarts?: number;
  /** Timed store lifecycles of one cell (default 9, at most 50). */
  storeRuns?: number;
}

const BENCH = "recovery";
const FIXTURE = "django-slow";
/** Bounds: a cell reaching its test container (first round: Django resolution, clone), a restart. */
const CELL_BUDGET_MS = 5 * 60_000;
const RESTART_BUDGET_MS = 2 * 60_000;
const RESULTS_PER_CELL = 200;
const LOG_BYTES_PER_CELL = 1024 * 1024;

/** Runs both parts; prints as it goes and returns the summary rows. */
export async function runRecoveryBench(options: RecoveryBenchOptions = {}): Promise<BenchRow[]> {
  const restarts = Math.min(10, Math.max(1, options.restarts ?? 3));
  const storeRuns = Math.min(50, Math.max(1, options.storeRuns ?? 9));
  return [...(await benchRestarts(restarts)), ...benchStoreWrites(storeRuns)];
}

// ---------------------------------------------------------------- restarts

interface RestartSample {
  pingMs: number;
  containerMs: number;
}

async function benchRestarts(rounds: number): Promise<BenchRow[]> {
  const privateKey = testPrivateKey();
  const github = await startFakeGitHubServer();
  const samples: RestartSample[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const sample = await restartOnce({ github, privateKey, round });
      console.log(`restart ${round}/${rounds}: /ping after ${formatMs(sample.pingMs)}, requeued container started after ${formatMs(sample.containerMs)}`);
      samples.push(sample);
    }
  } finally {
    await github.close();
  }
  const ping = summariseSamples(samples.map((s) => s.pingMs));
  const container = summariseSamples(samples.map((s) => s.containerMs));
  return [
    { bench: BENCH, metric: "restart → webhook endpoint answers (spawn → /ping)", value: formatSummary(ping) },
    { bench: BENCH, metric: "restart → requeued cell's container started", value: formatSummary(container) },
  ];
}

/** One round: a fresh data dir, a cell killed mid-run, a timed restart. Leaves no process, container or directory. */
async function restartOnce(options: { github: FakeGitHubServer; privateKey: string; round: number }): Promise<RestartSample> {
  const { github } = options;
  const docker = createDocker();
  const root = await mkdtemp(path.join(tmpdir(), "ponyci-recovery-bench-"));
  const servers: PonyCiProcess[] = [];
  const repoName = `bench-${options.round}-${randomUUID().slice(0, 6)}`;
  try {
    const repo = await makeFixtureRepo(path.join(root, "repo"));
    github.setFiles("pony", repoName, { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\n' });
    const serve = async () => {
      const server = await spawnPonyCi({ dataDir: path.join(root, "data"), githubUrl: github.url, appId: APP_ID, privateKey: options.privateKey, webhookSecret: WEBHOOK_SECRET });
      servers.push(server);
      return server;
    };
    const first = await serve();
    await waitForPing(first);
    const pushed = await postWebhook(first.port, "push", pushPayload(repo, { fullName: `pony/${repoName}` }));
    if (pushed.status !== 200) throw new Error(`the push webhook got HTTP ${pushed.status}`);
    const jobId = await until(CELL_BUDGET_MS, "the check run's create", () => {
      const create = github.requests.find((r) => r.method === "POST" && r.pathTemplate === CHECK_RUNS && r.params.repo === repoName && r.status === 201);
      return (create?.body as { external_id?: string } | undefined)?.external_id;
    });
    await until(CELL_BUDGET_MS, "the running test container", async () => (await runningContainer(docker, jobId, first.pid)) ?? undefined);
    first.kill("SIGKILL");
    await first.exited;

    const second = await serve();
    const pingAt = await waitForPing(second, RESTART_BUDGET_MS);
    const startedAt = await until(RESTART_BUDGET_MS, "the requeued job's container", async () => {
      const id = await runningContainer(docker, jobId, second.pid);
      if (!id) return undefined;
      const info = await docker.getContainer(id).inspect();
      return Date.parse(info.State.StartedAt.replace(/(\.\d{3})\d*Z$/, "$1Z"));
    });
    const patched = github.requests.some((r) => r.method === "PATCH" && r.pathTemplate === CHECK_RUN && r.params.repo === repoName);
    if (!patched) throw new Error("the fake GitHub saw no check-run update: the bench did not run as intended");
    return { pingMs: pingAt - second.spawnedAt, containerMs: startedAt - second.spawnedAt };
  } finally {
    for (const server of servers) {
      server.kill("SIGKILL");
      await server.exited;
    }
    const owners = new Set(servers.map((s) => `${hostname()}:${s.pid}`));
    const leftovers = await docker.listContainers({ all: true, filters: { label: [LABEL_OWNER] } }).catch(() => []);
    for (const info of leftovers.filter((c) => owners.has(c.Labels[LABEL_OWNER] ?? ""))) {
      await docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    await rm(root, { recursive: true, force: true }).catch((error: unknown) => console.warn(`bench: could not remove ${root}: ${String(error)}`));
  }
}

async function runningContainer(docker: ReturnType<typeof createDocker>, jobId: string, pid: number): Promise<string | undefined> {
  const found = await docker.listContainers({ filters: { label: [`${LABEL_JOB}=${jobId}`, `${LABEL_OWNER}=${hostname()}:${pid}`], status: ["running"] } });
  return found[0]?.Id;
}

/** test/fixtures/projects/<FIXTURE> as a one-commit git repository at `dir`. */
async function makeFixtureRepo(dir: string): Promise<{ dir: string; sha: string }> {
  let here = path.dirname(fileURLToPath(import.meta.url));
  let fixture: string | undefined;
  while (!fixture) {
    const candidate = path.join(here, "test", "fixtures", "projects", FIXTURE);
    if (existsSync(path.join(candidate, "manage.py"))) fixture = candidate;
    else if (path.dirname(here) === here) throw new Error(`test/fixtures/projects/${FIXTURE} not found`);
    else here = path.dirname(here);
  }
  await cp(fixture, dir, { recursive: true, filter: (source) => !/(__pycache__|\.pyc$)/.test(source) });
  const env = { GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@localhost", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@localhost" };
  await execa("git", ["init", "--quiet", "--initial-branch=main"], { cwd: dir });
  await execa("git", ["add", "--all"], { cwd: dir });
  await execa("git", ["commit", "--quiet", "-m", FIXTURE], { cwd: dir, env });
  return { dir, sha: (await execa("git", ["rev-parse", "HEAD"], { cwd: dir })).stdout.trim() };
}

/** Polls `check` every 50 ms until it returns a value; throws after `ms`. */
async function until<T>(ms: number, what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`bench: no ${what} within ${formatMs(ms)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ---------------------------------------------------------------- store writes

interface StoreSample {
  ms: number;
  statements: number;
  rowsChanged: number;
}

function benchStoreWrites(runs: number): BenchRow[] {
  const samples: StoreSample[] = [];
  const results = makeResults(RESULTS_PER_CELL);
  const logLines = makeLogLines(LOG_BYTES_PER_CELL);
  // One untimed run first: statement caches, page cache, JIT.
  for (let i = 0; i <= runs; i++) {
    const sample = withFreshStore((store) => measure(store, () => writeOneCell(store, results, logLines)));
    if (i > 0) samples.push(sample);
  }
  const ms = summariseSamples(samples.map((s) => s.ms));
  const statements = samples[0]?.statements ?? NaN;
  const rows = samples[0]?.rowsChanged ?? NaN;
  console.log(`store writes per finished cell (${RESULTS_PER_CELL} results, ${LOG_BYTES_PER_CELL / 1024} KiB log): ${formatSummary(ms)}; ${statements} statements, ${rows} rows changed`);
  return [
    { bench: BENCH, metric: `store writes per finished cell (${RESULTS_PER_CELL} results, 1 MiB log): wall`, value: formatSummary(ms) },
    { bench: BENCH, metric: "store writes per finished cell: SQL statements / rows changed", value: `${statements} / ${rows}` },
  ];
}

function withFreshStore<T>(fn: (store: Store) => T): T {
  const dir = path.join(tmpdir(), `ponyci-store-bench-${randomUUID().slice(0, 8)}`);
  const store = openStore({ dataDir: dir, logLimitBytes: 5 * 1024 * 1024 });
  try {
    return fn(store);
  } finally {
    store.close();
    void rm(dir, { recursive: true, force: true });
  }
}

/**
 * Times `fn` and counts the statements it executes (better-sqlite3 has no
 * statement hook: the Statement prototype is wrapped for the duration) and
 * the rows it changes (`total_changes()`).
 */
function measure(store: Store, fn: () => void): StoreSample {
  const proto = Object.getPrototypeOf(store.sqlite.prepare("SELECT 1")) as Record<string, (...args: unknown[]) => unknown>;
  const methods = ["run", "get", "all", "iterate"] as const;
  const originals = methods.map((name) => proto[name]);
  let statements = 0;
  for (const [i, name] of methods.entries()) {
    const original = originals[i] as (...args: unknown[]) => unknown;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      statements++;
      return original.apply(this, args);
    };
  }
  const changes = () => (store.sqlite.prepare("SELECT total_changes() AS n").get() as { n: number }).n;
  try {
    const before = changes();
    statements = 0;
    const t0 = performance.now();
    fn();
    const ms = performance.now() - t0;
    const counted = statements;
    return { ms, statements: counted, rowsChanged: changes() - before };
  } finally {
    for (const [i, name] of methods.entries()) proto[name] = originals[i] as (...args: unknown[]) => unknown;
  }
}

/** Every store call of one cell's life, in the order the server makes them. */
function writeOneCell(store: Store, results: TestResult[], logLines: string[]): void {
  const queue = createQueueRows(store);
  const outbox = createOutboxRows(store);
  const check = (kind: "create" | "progress" | "complete") => outbox.insert({ key: "check-run:bench", kind, payload: { kind, output: { title: "x", summary: "y".repeat(400) } }, coalesce: kind === "progress" });
  const send = () => {
    const due = outbox.nextDue();
    if (!due) throw new Error("bench: nothing due in the outbox");
    outbox.markSending(due.id);
    outbox.createdResponse(due.key);
    outbox.markSent(due.id, due.kind === "create" ? { id: 1000 } : undefined);
  };
  // Planning: the build, its job, the queue row, the queued check run.
  const { jobs } = store.createBuild({ repo: "pony/bench", source: "github", visibility: "public", sha: "a".repeat(40), branch: "main", event: "push", jobs: [{ cell: { python: "3.11", django: "5.2" } }] });
  const jobId = jobs[0]?.id ?? "";
  queue.insert(jobId, { jobId });
  check("create");
  send();
  store.setCheckRunId(jobId, 1000);
  // Running: claimed, started, in progress.
  queue.claim({ owner: "bench:1:x", runToken: "t", leaseUntil: Date.now() + 30_000 });
  store.recordJobStarted(jobId);
  check("progress");
  send();
  // Results and log as the processor writes them.
  const log = createLogBuffer({ store, jobId, clock: systemClock });
  for (const line of logLines) log.write(line);
  store.addTestResults(jobId, results);
  log.flush();
  // Finished: verdict, completion, queue row gone.
  store.recordJobFinished({ jobId, conclusion: "success", counts: { passed: results.length, failed: 0, error: 0, skipped: 0, xfail: 0, xpass: 0, total: results.length } });
  check("complete");
  send();
  queue.finish(jobId, "t");
}

function makeResults(n: number): TestResult[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `polls.tests.Case${i % 20}.test_${i}`,
    outcome: "passed" as const,
    durationMs: 5 + (i % 40),
  }));
}

/** Test-runner-like output lines, varied enough not to compress to nothing. */
function makeLogLines(bytes: number): string[] {
  const lines: string[] = [];
  let total = 0;
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; total < bytes; i++) {
    const line = `test_${i} (polls.tests.Case${i % 20}.test_${i}) ... ok  [${next().toString(36)}${next().toString(16)}] ${"·".repeat(next() % 40)}`;
    lines.push(line);
    total += Buffer.byteLength(line) + 1;
  }
  return lines;
}

if (isMainModule(import.meta.url)) {
  const rows = await runRecoveryBench({ restarts: Number(process.argv[2] ?? 3), storeRuns: Number(process.argv[3] ?? 9) });
  console.log(`\n${renderBenchTable(rows)}`);
}

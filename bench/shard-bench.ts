/**
 * Shards of one cell across runners (issue 28, item 2): a generated Django
 * suite (40 TestCase classes of two tests, sleeps of varied length, SQLite),
 * one cell through Redis to `ponyci runner` processes, each in its own
 * network namespace (a veth pair to Redis only; created and deleted here):
 * - on 1 runner, whole (its tests' durations are the recorded timings);
 * - split over 2 runners by those timings (src/shard).
 * Printed: wall times (dispatch → verdict), the speed-up (target ≥ 1.8×), the
 * planned balance (largest ÷ mean expected shard) and the balance measured
 * (largest ÷ mean of the shards' test times).
 *
 * Needs root (ip netns), Docker and redis-server. The environment is built on
 * the host first (the namespaces reach nothing but Redis).
 * `node dist/bench/shard-bench.js drf`: the same on django-rest-framework.
 * Run after `npm run build`: `node dist/bench/shard-bench.js [drf]`.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import type { CellRunner, CellSpec } from "../src/domain/cell-runner.js";
import type { FinishedEvent, RunnerEvent, TestResult } from "../src/domain/events.js";
import { createJobSpec, type JobSpec } from "../src/domain/job-spec.js";
import { planFromRepoFiles, planningFileLimit } from "../src/builds/plan-from-repo-files.js";
import { planCells } from "../src/builds/plan-cells.js";
import { createRedisSeal } from "../src/domain/redis-seal.js";
import { sumClassDurations } from "../src/history/sum-class-durations.js";
import { createRemoteCellRunner } from "../src/remote/create-remote-cell-runner.js";
import { countRunnersFor } from "../src/shard/count-runners-for.js";
import { createShardingCellRunner } from "../src/shard/create-sharding-cell-runner.js";
import { planShards } from "../src/shard/plan-shards.js";
import { createLocalRunner } from "../runner/src/create-local-runner.js";
import { startRedisServer } from "../test/support/redis-server.js";
import { withBenchContext, type BenchContext } from "./support/bench-context.js";
import { BENCH_LIMITS } from "./support/bench-limits.js";
import type { BenchRow } from "./support/bench-row.js";
import { collectCellRun } from "./support/collect-cell-run.js";
import { isMainModule } from "./support/is-main-module.js";
import { makeRepoFrom } from "./support/make-example-repo.js";
import { startRunnerProcess, type RunnerProcess } from "./support/start-runner-process.js";
import { formatMs } from "./support/summarise-samples.js";

export const SHARD_SPEEDUP_TARGET = 1.8;
const KEY = "shard-bench-signing-key-0123456789abcdef";
const CLASSES = 40;

/** Seconds each of a class's two tests sleeps: 0.2 to 2.0 s, in an order unrelated to the names (≈ 88 s of tests in all). */
export function sleepOf(index: number): number {
  return 0.2 + ((index * 17) % 10) * 0.2;
}

export function generateShardProject(classes = CLASSES): Record<string, string> {
  const lines = ["import time", "", "from django.contrib.auth.models import User", "from django.test import TestCase", ""];
  for (let c = 0; c < classes; c++) {
    const name = `Case${String(c).padStart(2, "0")}Tests`;
    lines.push("", `class ${name}(TestCase):`);
    for (const t of ["a", "b"]) lines.push(`    def test_${t}(self):`, `        User.objects.create(username="${t}")`, `        time.sleep(${sleepOf(c).toFixed(1)})`, `        self.assertEqual(User.objects.count(), 1)`, "");
  }
  return {
    "manage.py": 'import os, sys\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")\nfrom django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n',
    "site_settings.py": 'SECRET_KEY = "bench"\nINSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "suite"]\nDATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}\nPASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]\nUSE_TZ = True\n',
    "suite/__init__.py": "",
    "suite/tests.py": lines.join("\n"),
  };
}

interface Namespace {
  netns: string;
  hostIf: string;
  peerIf: string;
  hostIp: string;
}

const ip = (...args: string[]) => execa("ip", args);

/** Two namespaces, each with a /30 veth pair to the host (10.251.x.0/30): only between namespaces made here. */
async function createNamespaces(tag: string): Promise<Namespace[]> {
  const spaces: Namespace[] = [];
  for (const [i, side] of ["a", "b"].entries()) {
    const s = { netns: `ponyci-sb-${side}-${tag}`, hostIf: `psb${side}${tag}`.slice(0, 15), peerIf: `psb${side}${tag}p`.slice(0, 15), hostIp: `10.251.${i + 1}.1` };
    spaces.push(s);
    await ip("netns", "add", s.netns);
    await ip("link", "add", s.hostIf, "type", "veth", "peer", "name", s.peerIf);
    await ip("link", "set", s.peerIf, "netns", s.netns);
    await ip("addr", "add", `${s.hostIp}/30`, "dev", s.hostIf);
    await ip("link", "set", s.hostIf, "up");
    await ip("netns", "exec", s.netns, "ip", "addr", "add", `10.251.${i + 1}.2/30`, "dev", s.peerIf);
    await ip("netns", "exec", s.netns, "ip", "link", "set", s.peerIf, "up");
    await ip("netns", "exec", s.netns, "ip", "link", "set", "lo", "up");
  }
  return spaces;
}

interface ShardSubject {
  /** Short name for the rows. */
  name: string;
  /** What the rows say the suite is. */
  describe(tests: number): string;
  source: { url: string; sha: string };
  spec: JobSpec;
  /** The cell must report at least this many tests. */
  minTests: number;
  /** A test id (or file) the warm-up cells run. */
  warmTest: string;
}

/** One cell of `subject` on 1 runner (its durations are the timings), then split over 2 runners, each runner in its own namespace. */
async function measureShards(context: BenchContext, subject: ShardSubject): Promise<BenchRow[]> {
  const specOf = (over: Partial<CellSpec> = {}): CellSpec => ({ jobId: `bench-shard-${randomUUID().slice(0, 8)}`, source: subject.source, ...subject.spec, ...over });
  const tag = (process.pid % 10_000).toString(36);
  const spaces = await createNamespaces(tag);
  const redis = await startRedisServer({ bind: ["127.0.0.1", ...spaces.map((s) => s.hostIp)] });
  const runners: RunnerProcess[] = [];
  const server = createRemoteCellRunner({ url: redis.url, seal: createRedisSeal(KEY), routeOf: () => ({ repo: "bench/shard", pullRequest: false, labels: [] }), pollMs: 200 });
  try {
    await server.start();
    const start = async (space: Namespace, id: string) => {
      const runner = startRunnerProcess({ id, redisUrl: `redis://${space.hostIp}:${redis.port}`, signingKey: KEY, dataDir: context.dataDir, pythons: [subject.spec.cell.python], repoUrls: [subject.source.url], netns: space.netns, env: { PONYCI_CELL_CPUS: "1", PONYCI_CELL_MEMORY: "2g", PONYCI_CELL_TIMEOUT: "1800" } });
      runners.push(runner);
      await runner.ready(60_000);
    };
    /** Each shard attempt's verdict, as the server heard it. */
    const verdicts: FinishedEvent[] = [];
    const tap: CellRunner = {
      runCell: (spec, opts) => (async function* (): AsyncGenerator<RunnerEvent> {
        for await (const event of server.runCell(spec, opts)) {
          if (event.type === "finished" && spec.shard) verdicts.push(event);
          yield event;
        }
      })(),
    };
    const sharding = createShardingCellRunner({ inner: tap, runnersFor: async (spec) => countRunnersFor((await server.metrics()).runners, spec.cell), minDurationMs: 10_000, maxShards: 2 });
    const timed = async (spec: CellSpec, label: string) => {
      const tests: TestResult[] = [];
      const begin = performance.now();
      const run = await collectCellRun((async function* () {
        for await (const event of sharding.runCell(spec)) {
          if (event.type === "test") tests.push(event.test);
          yield event;
        }
      })(), begin);
      if (run.finished.conclusion === "error" || run.finished.counts.total < subject.minTests) throw new Error(`${subject.name}, ${label}: ${run.finished.conclusion} with ${run.finished.counts.total} tests (${run.finished.error?.message ?? ""})`);
      const c = run.finished.counts;
      console.log(`${subject.name}, ${label}: ${run.finished.conclusion}, ${c.passed} passed ${c.failed} failed ${c.error} error ${c.skipped} skipped of ${c.total}; wall ${formatMs(run.wallMs)}, tests ${formatMs(run.finished.testDurationMs)}`);
      return { run, tests };
    };

    // 1. One runner, the cell whole (one runner: nothing to split); its durations are the timings.
    await start(spaces[0]!, "bench-runner-a");
    // Untimed: the runner's own environment lookup (or build, from the wheels the host's warm-up fetched).
    for await (const event of server.runCell(specOf({ onlyTests: [subject.warmTest] }))) {
      if (event.type === "finished" && event.conclusion === "error") throw new Error(`${subject.name}: warm-up on the runner: ${event.error?.message ?? "error"}`);
    }
    const whole = await timed(specOf(), "1 runner");
    const timings = sumClassDurations(whole.tests);
    // 2. Two runners, split by those timings.
    await start(spaces[1]!, "bench-runner-b");
    const split = await timed(specOf({ testTimings: timings }), "2 runners");
    const plan = planShards({ jobId: "x", timings, runners: 2, minDurationMs: 0, maxShards: 2 });
    const shardTimes = verdicts.map((v) => v.testDurationMs);
    if (shardTimes.length !== 2) throw new Error(`expected 2 shard verdicts, got ${shardTimes.length}`);
    const measured = Math.max(...shardTimes) / (shardTimes.reduce((a, b) => a + b, 0) / shardTimes.length);
    const speedup = whole.run.wallMs / split.run.wallMs;
    const sameCounts = JSON.stringify(whole.run.finished.counts) === JSON.stringify(split.run.finished.counts);
    const sameIds = JSON.stringify(whole.tests.map((t) => `${t.id} ${t.outcome}`).sort()) === JSON.stringify(split.tests.map((t) => `${t.id} ${t.outcome}`).sort());
    console.log(`${subject.name}: 1 runner ${formatMs(whole.run.wallMs)}; 2 runners ${formatMs(split.run.wallMs)} (shards' tests ${shardTimes.map(formatMs).join(", ")}); ${speedup.toFixed(2)}×; balance planned ${plan?.balance.toFixed(3)}, measured ${measured.toFixed(3)}; same results ${sameIds}`);
    return [
      { bench: "shard", metric: `${subject.describe(whole.run.finished.counts.total)}: wall, 1 runner`, value: formatMs(whole.run.wallMs) },
      { bench: "shard", metric: `${subject.name}: wall, 2 runners (netns), split by timings`, value: `${formatMs(split.run.wallMs)} (${speedup.toFixed(2)}×)`, target: `≥ ${SHARD_SPEEDUP_TARGET}×`, met: speedup >= SHARD_SPEEDUP_TARGET },
      { bench: "shard", metric: `${subject.name}: balance (max ÷ mean shard test time): planned / measured`, value: `${plan?.balance.toFixed(3) ?? "-"} / ${measured.toFixed(3)}` },
      { bench: "shard", metric: `${subject.name}: same tests and outcomes whole and split`, value: sameIds && sameCounts ? "yes" : "no", met: sameIds && sameCounts },
    ];
  } finally {
    for (const runner of runners) {
      runner.child.kill("SIGTERM");
      await Promise.race([runner.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (runner.child.exitCode === null) runner.child.kill("SIGKILL");
    }
    await server.stop();
    await redis.remove();
    for (const s of spaces) await ip("netns", "delete", s.netns).catch(() => undefined);
  }
}

/** Run one cell on the host (the namespaces reach nothing but Redis): builds the environment where the runners will find it. */
async function warm(context: BenchContext, spec: CellSpec): Promise<void> {
  const run = await collectCellRun(createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell: { ...BENCH_LIMITS, timeoutSec: 1800 } }).cells.runCell(spec), performance.now());
  if (run.finished.conclusion === "error") throw new Error(`warm-up: ${run.finished.error?.message ?? "error"}`);
}

export async function runShardBench(options: { context?: BenchContext } = {}): Promise<BenchRow[]> {
  return withBenchContext(options.context, async (context) => {
    const source = path.join(context.dataDir, "shard-suite");
    for (const [file, text] of Object.entries(generateShardProject())) {
      await mkdir(path.dirname(path.join(source, file)), { recursive: true });
      await writeFile(path.join(source, file), text);
    }
    const repo = await makeRepoFrom(source, path.join(context.dataDir, `repo-${randomUUID().slice(0, 8)}`), "shard suite");
    const spec = createJobSpec({ python: "3.11", django: "5.2" });
    const warmTest = "suite.tests.Case00Tests.test_a";
    await warm(context, { jobId: `bench-shard-warm-${randomUUID().slice(0, 8)}`, source: { url: repo.dir, sha: repo.sha }, ...spec, onlyTests: [warmTest] });
    return measureShards(context, { name: "generated", describe: () => `generated suite (${CLASSES} classes × 2 tests, SQLite)`, source: { url: repo.dir, sha: repo.sha }, spec, minTests: CLASSES * 2, warmTest });
  });
}

const DRF_CANDIDATES = [process.env.PONYCI_DRF_REPO];

/**
 * The same on django-rest-framework (pytest through its runtests.py), planned
 * zero-config as `ponyci run --python 3.12 --django 5.2` plans it. The checkout:
 * PONYCI_DRF_REPO, else a one-commit snapshot or the mirror; none: a skip row.
 */
export async function runDrfShardBench(options: { context?: BenchContext } = {}): Promise<BenchRow[]> {
  let checkout: { dir: string; sha: string } | undefined;
  for (const dir of DRF_CANDIDATES) {
    if (!dir || !existsSync(dir)) continue;
    const sha = await execa("git", ["-C", dir, "rev-parse", "HEAD"], { reject: false });
    if (sha.exitCode === 0) checkout = { dir, sha: sha.stdout.trim() };
    if (checkout) break;
  }
  if (!checkout) return [{ bench: "shard", metric: "DRF", value: "skipped: no checkout (PONYCI_DRF_REPO)" }];
  const found = checkout;
  return withBenchContext(options.context, async (context) => {
    const source = { url: found.dir, sha: found.sha };
    const local = createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell: BENCH_LIMITS });
    const { specs } = await planFromRepoFiles((paths) => local.checkout.readFiles(source, paths, { maxBytes: planningFileLimit }), (read, files) => planCells(read, files, { narrow: { python: ["3.12"], django: ["5.2"] } }, { maxCells: 64 }));
    const spec = specs[0];
    if (!spec) throw new Error("DRF: planning gave no Python 3.12 × Django 5.2 cell");
    const warmTest = "tests/test_fields.py";
    await warm(context, { jobId: `bench-drf-warm-${randomUUID().slice(0, 8)}`, source, ...spec, onlyTests: [warmTest] });
    return measureShards(context, { name: "DRF", describe: (n) => `DRF ${found.sha.slice(0, 12)} (${n} tests, ${spec.cell.database ?? "sqlite"})`, source, spec, minTests: 100, warmTest });
  });
}

if (isMainModule(import.meta.url)) {
  const { renderBenchTable } = await import("./support/bench-row.js");
  const rows = process.argv[2] === "drf" ? await runDrfShardBench() : await runShardBench();
  console.log(`\n${renderBenchTable(rows)}`);
}

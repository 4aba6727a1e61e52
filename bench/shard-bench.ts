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
 * Run after `npm run build`: `node dist/bench/shard-bench.js`.
 */
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import type { CellRunner, CellSpec } from "../src/domain/cell-runner.js";
import type { FinishedEvent, RunnerEvent, TestResult } from "../src/domain/events.js";
import { createJobSpec } from "../src/domain/job-spec.js";
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
import { assertCellSucceeded, collectCellRun } from "./support/collect-cell-run.js";
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

export async function runShardBench(options: { context?: BenchContext } = {}): Promise<BenchRow[]> {
  return withBenchContext(options.context, async (context) => {
    const source = path.join(context.dataDir, "shard-suite");
    for (const [file, text] of Object.entries(generateShardProject())) {
      await mkdir(path.dirname(path.join(source, file)), { recursive: true });
      await writeFile(path.join(source, file), text);
    }
    const repo = await makeRepoFrom(source, path.join(context.dataDir, `repo-${randomUUID().slice(0, 8)}`), "shard suite");
    const jobSpec = createJobSpec({ python: "3.11", django: "5.2" });
    const specOf = (over: Partial<CellSpec> = {}): CellSpec => ({ jobId: `bench-shard-${randomUUID().slice(0, 8)}`, source: { url: repo.dir, sha: repo.sha }, ...jobSpec, ...over });
    // The environment, built on the host (one short test), where the runners will find it.
    const warm = await collectCellRun(createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell: BENCH_LIMITS }).cells.runCell(specOf({ onlyTests: ["suite.tests.Case00Tests.test_a"] })), performance.now());
    assertCellSucceeded(warm, "warm-up");

    const tag = (process.pid % 10_000).toString(36);
    const spaces = await createNamespaces(tag);
    const redis = await startRedisServer({ bind: ["127.0.0.1", ...spaces.map((s) => s.hostIp)] });
    const runners: RunnerProcess[] = [];
    const server = createRemoteCellRunner({ url: redis.url, seal: createRedisSeal(KEY), routeOf: () => ({ repo: "bench/shard", pullRequest: false, labels: [] }), pollMs: 200 });
    try {
      await server.start();
      const start = async (space: Namespace, id: string) => {
        const runner = startRunnerProcess({ id, redisUrl: `redis://${space.hostIp}:${redis.port}`, signingKey: KEY, dataDir: context.dataDir, pythons: ["3.11"], repoUrls: [repo.dir], netns: space.netns, env: { PONYCI_CELL_CPUS: "1", PONYCI_CELL_MEMORY: "1g" } });
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
        assertCellSucceeded(run, label);
        if (run.finished.counts.total !== CLASSES * 2) throw new Error(`${label}: ${run.finished.counts.total} tests, expected ${CLASSES * 2}`);
        return { run, tests };
      };

      // 1. One runner, the cell whole (one runner: nothing to split); its durations are the timings.
      await start(spaces[0]!, "bench-runner-a");
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
      console.log(`1 runner: ${formatMs(whole.run.wallMs)} (tests ${formatMs(whole.run.finished.testDurationMs)}); 2 runners: ${formatMs(split.run.wallMs)} (shards' tests ${shardTimes.map(formatMs).join(", ")}); ${speedup.toFixed(2)}×; balance planned ${plan?.balance.toFixed(3)}, measured ${measured.toFixed(3)}`);
      return [
        { bench: "shard", metric: `generated suite (${CLASSES} classes × 2 tests, SQLite): wall, 1 runner`, value: formatMs(whole.run.wallMs) },
        { bench: "shard", metric: "wall, 2 runners (netns), split by timings", value: `${formatMs(split.run.wallMs)} (${speedup.toFixed(2)}×)`, target: `≥ ${SHARD_SPEEDUP_TARGET}×`, met: speedup >= SHARD_SPEEDUP_TARGET },
        { bench: "shard", metric: "balance (max ÷ mean shard): planned / measured", value: `${plan?.balance.toFixed(3) ?? "-"} / ${measured.toFixed(3)}` },
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
  });
}

if (isMainModule(import.meta.url)) {
  const { renderBenchTable } = await import("./support/bench-row.js");
  const rows = await runShardBench();
  console.log(`\n${renderBenchTable(rows)}`);
}

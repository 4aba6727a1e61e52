/**
 * Split one cell's suite by timings on one host (issue 28): a generated
 * DRF-like Django suite (60 TestCase classes, 5 tests each, real ORM work:
 * inserts, filtered queries, updates; a heavy tail of long classes, as real
 * suites have), one cell on SQLite with 2 CPUs:
 * - 1 worker (the timings are recorded here),
 * - 2 workers, classes in Django's order (by name),
 * - 2 workers, classes longest first from the 1-worker run's timings.
 * Printed: the harness's test time (median of `runs`), the speed-up over 1
 * worker (target ≥ 1.8×) and the balance of the split (max ÷ mean of the
 * two workers' summed test durations; 1.0 is perfect).
 *
 * Run after `npm run build`: `node dist/bench/split-bench.js [runs]` (default 3).
 */
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RunnerEvent, TestResult } from "../src/domain/events.js";
import { createJobSpec } from "../src/domain/job-spec.js";
import { orderTestClasses } from "../src/history/order-test-classes.js";
import { createLocalRunner } from "../runner/src/create-local-runner.js";
import { withBenchContext, type BenchContext } from "./support/bench-context.js";
import { BENCH_LIMITS } from "./support/bench-limits.js";
import type { BenchRow } from "./support/bench-row.js";
import { assertCellSucceeded, collectCellRun } from "./support/collect-cell-run.js";
import { isMainModule } from "./support/is-main-module.js";
import { makeRepoFrom } from "./support/make-example-repo.js";
import { formatMs, summariseSamples } from "./support/summarise-samples.js";

export const SPEEDUP_TARGET = 1.8;
const CELL_BUDGET_MS = 10 * 60_000;

/** Work units per class: a heavy tail (a few long classes, many short ones), in an order unrelated to the names. */
function unitsOf(index: number): number {
  const heavy = [60, 45, 35, 25];
  if (index % 15 === 7 && heavy.length > index / 15) return heavy[Math.floor(index / 15)]!;
  return 2 + ((index * 7) % 5);
}

export function generateSplitProject(classes = 60): Record<string, string> {
  const lines = [
    "import os",
    "",
    "from django.contrib.auth.models import Group, User",
    "from django.test import TestCase",
    "",
    "",
    "class Work(TestCase):",
    "    units = 1",
    "",
    "    def test_a_worker(self):",
    "        # Skipped on purpose: the reason names the worker process (the benchmark's split balance).",
    '        self.skipTest("pid=%d" % os.getpid())',
    "",
  ];
  for (let t = 0; t < 5; t++) {
    lines.push(
      `    def test_work_${t}(self):`,
      "        for i in range(self.units * 3):",
      '            user = User.objects.create(username="u%d-%d" % (i, ' + t + "))",
      '            user.groups.add(Group.objects.get_or_create(name="g%d" % (i % 5))[0])',
      '        self.assertEqual(User.objects.filter(groups__name="g0").distinct().count(), len(range(0, self.units * 3, 5)))',
      '        User.objects.filter(username__startswith="u1").update(first_name="x")',
      "",
    );
  }
  for (let c = 0; c < classes; c++) lines.push("", `class Case${String(c).padStart(2, "0")}Tests(Work):`, `    units = ${unitsOf(c)}`);
  lines.push("", "", "del Work", "");
  return {
    "manage.py": 'import os, sys\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")\nfrom django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n',
    "site_settings.py": 'SECRET_KEY = "bench"\nINSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "suite"]\nDATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}\nPASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]\nUSE_TZ = True\n',
    "suite/__init__.py": "",
    "suite/tests.py": lines.join("\n"),
  };
}

/** max ÷ mean of the workers' summed test durations (each class's worker from its skipped test's reason). */
function balanceOf(tests: TestResult[]): { balance: number; workers: number; maxMs: number; sumMs: number } {
  const pidOf = new Map<string, string>();
  for (const test of tests) {
    const match = /^pid=(\d+)$/.exec(test.message ?? "");
    if (match) pidOf.set(test.id.replace(/\.test_a_worker$/, ""), match[1]!);
  }
  const shards = new Map<string, number>();
  for (const test of tests) {
    const pid = pidOf.get(test.id.replace(/\.[^.]+$/, ""));
    if (pid) shards.set(pid, (shards.get(pid) ?? 0) + test.durationMs);
  }
  const sums = [...shards.values()];
  const mean = sums.reduce((a, b) => a + b, 0) / Math.max(1, sums.length);
  return { balance: sums.length > 0 ? Math.max(...sums) / mean : NaN, workers: sums.length, maxMs: Math.max(0, ...sums), sumMs: sums.reduce((a, b) => a + b, 0) };
}

async function* keepTests(events: AsyncIterable<RunnerEvent>, tests: TestResult[]): AsyncIterable<RunnerEvent> {
  for await (const event of events) {
    if (event.type === "test") tests.push(event.test);
    yield event;
  }
}

export async function runSplitBench(options: { context?: BenchContext; runs?: number } = {}): Promise<BenchRow[]> {
  const runs = Math.min(Math.max(1, Math.floor(options.runs ?? 3)), 10);
  return withBenchContext(options.context, async (context) => {
    const source = path.join(context.dataDir, "split-suite");
    for (const [file, text] of Object.entries(generateSplitProject())) {
      await mkdir(path.dirname(path.join(source, file)), { recursive: true });
      await writeFile(path.join(source, file), text);
    }
    const repo = await makeRepoFrom(source, path.join(context.dataDir, `repo-${randomUUID().slice(0, 8)}`), "split suite");
    const cell = { ...BENCH_LIMITS, nanoCpus: 2e9 };
    const runners = { 1: createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell }), 2: createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell: { ...cell, testWorkers: 2 } }) };
    const spec = createJobSpec({ python: "3.11", django: "5.2" });
    const runOnce = async (workers: 1 | 2, testOrder?: string[]) => {
      const tests: TestResult[] = [];
      const begin = performance.now();
      const run = await collectCellRun(keepTests(runners[workers].cells.runCell({ jobId: `bench-split-${randomUUID().slice(0, 8)}`, source: { url: repo.dir, sha: repo.sha }, ...spec, ...(testOrder ? { testOrder } : {}) }, { signal: AbortSignal.timeout(CELL_BUDGET_MS) }), tests), begin);
      assertCellSucceeded(run, `${workers} worker(s)`);
      // Where the time goes (issue 28 item 2): the harness's test time = set-up (process start, test
      // database creation and migration, worker clones) + Django's "Ran N tests in X s" (the pool's start,
      // the tests, the parent's replay) ; the workers' summed test durations show contention (inflation).
      const split = balanceOf(tests);
      const djangoMs = run.django?.ms ?? NaN;
      console.log(`  ${workers} worker(s)${testOrder ? ", longest first" : ""}: test time ${formatMs(run.finished.testDurationMs)} = set-up ${formatMs(run.finished.testDurationMs - djangoMs)} + Django run ${formatMs(djangoMs)}; summed test durations ${formatMs(split.sumMs)}, busiest worker ${formatMs(split.maxMs)}, run outside the busiest worker's tests ${formatMs(djangoMs - split.maxMs)}`);
      return { testMs: run.finished.testDurationMs, tests, sumMs: split.sumMs };
    };
    const warm = await runOnce(1); // builds the environment; its timings give the order
    const order = orderTestClasses(warm.tests);
    const samples = { one: [] as number[], byName: [] as number[], byTimings: [] as number[] };
    const work = { one: [] as number[], byTimings: [] as number[] };
    const balance = { byName: [] as number[], byTimings: [] as number[] };
    for (let i = 0; i < runs; i++) {
      const single = await runOnce(1);
      samples.one.push(single.testMs);
      work.one.push(single.sumMs);
      const byName = await runOnce(2);
      samples.byName.push(byName.testMs);
      balance.byName.push(balanceOf(byName.tests).balance);
      const byTimings = await runOnce(2, order);
      samples.byTimings.push(byTimings.testMs);
      work.byTimings.push(byTimings.sumMs);
      balance.byTimings.push(balanceOf(byTimings.tests).balance);
    }
    const median = (xs: number[]) => summariseSamples(xs).median;
    const one = median(samples.one);
    const rows: BenchRow[] = [
      { bench: "split", metric: "generated suite (60 classes × 6 tests, SQLite, 2 CPUs): test time, 1 worker", value: formatMs(one) },
    ];
    for (const [key, label] of [["byName", "2 workers, Django's order"], ["byTimings", "2 workers, longest first"]] as const) {
      const two = median(samples[key]);
      const speedup = one / two;
      console.log(`${label}: ${formatMs(two)} (${speedup.toFixed(2)}× over 1 worker), balance max/mean ${median(balance[key]).toFixed(3)}`);
      rows.push(
        { bench: "split", metric: `test time, ${label}`, value: `${formatMs(two)} (${speedup.toFixed(2)}×)`, target: `≥ ${SPEEDUP_TARGET}×`, met: speedup >= SPEEDUP_TARGET },
        { bench: "split", metric: `balance (max ÷ mean worker), ${label}`, value: median(balance[key]).toFixed(3) },
      );
    }
    // > 1: each test took longer with 2 workers than alone (CPU contention: the host, the cell's quota).
    rows.push({ bench: "split", metric: "work inflation (summed test durations, 2 workers longest first ÷ 1 worker)", value: (median(work.byTimings) / median(work.one)).toFixed(3) });
    return rows;
  });
}

if (isMainModule(import.meta.url)) {
  const { renderBenchTable } = await import("./support/bench-row.js");
  const rows = await runSplitBench({ runs: Number(process.argv[2] ?? 3) });
  console.log(`\n${renderBenchTable(rows)}`);
}

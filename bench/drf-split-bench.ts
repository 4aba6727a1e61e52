/**
 * The issue 28 benchmark on one host: django-rest-framework at a fixed
 * commit, one cell (planned zero-config as `ponyci run` plans it: Python
 * 3.12 × Django 5.2, its tox command, the PostgreSQL service its workflow
 * starts), 2 CPUs, split by timings over the pytest workers
 * (runner/harness/ponyci_pytest_split.py):
 * - a first run on 1 worker, not a sample (it builds the environment and
 *   migrates with no template kept yet; its history gives the order),
 * - then `runs` (1 worker, 2 workers longest first) pairs.
 * Printed: wall time of the cell and the harness's test time (medians), the
 * speed-up 1 → 2 workers (target ≥ 1.8×), the balance the run reached (max ÷
 * mean of the workers' busy time, from the harness's "busy:" line) and the
 * balance of a perfect longest-first split of the recorded durations (the
 * floor the order allows).
 *
 * The checkout: PONYCI_DRF_REPO (a django-rest-framework clone or bare
 * mirror, e.g. at a8a69658); unset: a clear skip message.
 * Run after `npm run build`: `node dist/bench/drf-split-bench.js [runs]` (default 1);
 * PONYCI_DRF_BUDGET_MIN: the cell's time limit in minutes (default 45).
 * Not in `npm run bench` (minutes per cell).
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { execa } from "execa";
import { planFromRepoFiles, planningFileLimit } from "../src/builds/plan-from-repo-files.js";
import { planCells } from "../src/builds/plan-cells.js";
import type { RunnerEvent, TestResult } from "../src/domain/events.js";
import type { JobSpec } from "../src/domain/job-spec.js";
import { orderTestClasses, testClassOf } from "../src/history/order-test-classes.js";
import { createLocalRunner } from "../runner/src/create-local-runner.js";
import { withBenchContext, type BenchContext } from "./support/bench-context.js";
import { BENCH_LIMITS } from "./support/bench-limits.js";
import type { BenchRow } from "./support/bench-row.js";
import { collectCellRun } from "./support/collect-cell-run.js";
import { isMainModule } from "./support/is-main-module.js";
import { formatMs, summariseSamples } from "./support/summarise-samples.js";

export const SPEEDUP_TARGET = 1.8;
// A quiet 2-core host runs the suite in well under a minute; the loaded one of the first attempt needed
// more than 20 minutes for 1 worker (809 of the ~1,600 tests when the budget cut it): room for both.
const CELL_BUDGET_MS = Number(process.env.PONYCI_DRF_BUDGET_MIN ?? 45) * 60_000;
const CANDIDATES = [process.env.PONYCI_DRF_REPO];

/** max ÷ mean of `loads` (1.0: perfect). */
export function balanceOf(loads: number[]): number {
  const mean = loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length);
  return loads.length > 0 && mean > 0 ? Math.max(...loads) / mean : NaN;
}

/** The balance of a longest-first split of the recorded per-group durations over `workers` bins. Pure. */
export function perfectBalance(results: ReadonlyArray<{ id: string; durationMs: number }>, workers: number): number {
  const groups = new Map<string, number>();
  for (const { id, durationMs } of results) groups.set(testClassOf(id), (groups.get(testClassOf(id)) ?? 0) + Math.max(0, durationMs));
  const bins = new Array<number>(workers).fill(0);
  for (const load of [...groups.values()].sort((a, b) => b - a)) bins[bins.indexOf(Math.min(...bins))]! += load;
  return balanceOf(bins);
}

/** The workers' busy seconds from the harness's summary line "… busy: gw0 12.34 s, gw1 11.90 s". */
export function busyOf(lines: string[]): number[] {
  const line = lines.findLast((l) => l.includes("pytest workers ran") && l.includes("busy:"));
  return line ? [...line.matchAll(/gw\d+ ([\d.]+) s/g)].map((m) => Number(m[1])) : [];
}

async function* keep(events: AsyncIterable<RunnerEvent>, tests: TestResult[], logs: string[]): AsyncIterable<RunnerEvent> {
  for await (const event of events) {
    if (event.type === "test") tests.push(event.test);
    else if (event.type === "log") logs.push(event.line);
    yield event;
  }
}

async function findCheckout(): Promise<{ dir: string; sha: string } | undefined> {
  for (const dir of CANDIDATES) {
    if (!dir || !existsSync(dir)) continue;
    const sha = await execa("git", ["-C", dir, "rev-parse", "HEAD"], { reject: false });
    if (sha.exitCode === 0) return { dir, sha: sha.stdout.trim() };
  }
  return undefined;
}

export async function runDrfSplitBench(options: { context?: BenchContext; runs?: number } = {}): Promise<BenchRow[]> {
  const checkout = await findCheckout();
  if (!checkout) {
    const message = "no django-rest-framework checkout (set PONYCI_DRF_REPO): skipped";
    console.log(`drf-split: ${message}`);
    return [{ bench: "drf-split", metric: "skipped", value: message }];
  }
  const runs = Math.min(Math.max(1, Math.floor(options.runs ?? 1)), 5);
  return withBenchContext(options.context, async (context) => {
    const cell = { ...BENCH_LIMITS, nanoCpus: 2e9, timeoutSec: CELL_BUDGET_MS / 1000 };
    const runners = { 1: createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell }), 2: createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell: { ...cell, testWorkers: 2 } }) };
    const source = { url: checkout.dir, sha: checkout.sha };
    // Planned as `ponyci run --python 3.12 --django 5.2` plans it (planCells, src/builds/plan-cells.ts).
    const planOptions = { maxCells: 64 };
    const { specs } = await planFromRepoFiles((paths) => runners[1].checkout.readFiles(source, paths, { maxBytes: planningFileLimit }), (read, files) => planCells(read, files, { narrow: { python: ["3.12"], django: ["5.2"] } }, planOptions));
    const spec: JobSpec | undefined = specs[0];
    if (!spec) throw new Error("drf-split: planning gave no Python 3.12 × Django 5.2 cell");
    console.log(`drf-split: ${checkout.dir} at ${checkout.sha.slice(0, 12)}, cell ${JSON.stringify(spec.cell)}`);
    const runOnce = async (workers: 1 | 2, testOrder?: string[]) => {
      const tests: TestResult[] = [];
      const logs: string[] = [];
      const begin = performance.now();
      const run = await collectCellRun(keep(runners[workers].cells.runCell({ jobId: `bench-drf-${randomUUID().slice(0, 8)}`, source, ...spec, ...(testOrder ? { testOrder } : {}) }, { signal: AbortSignal.timeout(CELL_BUDGET_MS) }), tests, logs), begin);
      const counts = run.finished.counts;
      // The project's own failures are allowed (the same with 1 and 2 workers is checked below); a cut run is not a sample.
      if (!["success", "failure"].includes(run.finished.conclusion) || counts.total < 100) {
        throw new Error(`drf-split: ${workers} worker(s): ${run.finished.conclusion} with ${counts.total} tests (${run.finished.error?.message ?? logs.slice(-5).join(" | ")})`);
      }
      console.log(`  ${workers} worker(s): wall ${formatMs(run.wallMs)}, tests ${formatMs(run.finished.testDurationMs)}, ${counts.passed} passed ${counts.failed} failed ${counts.error} error ${counts.skipped} skipped of ${counts.total}; ${logs.filter((l) => l.startsWith("ponyci:")).join(" / ")}`);
      return { wallMs: run.wallMs, testMs: run.finished.testDurationMs, counts, tests, busy: busyOf(logs) };
    };
    const first = await runOnce(1);
    const order = orderTestClasses(first.tests);
    const samples = { one: [] as number[], two: [] as number[], oneWall: [] as number[], twoWall: [] as number[], balance: [] as number[], serial: [] as Array<{ serialMs: number; workMs: number }> };
    const same: boolean[] = [];
    for (let i = 0; i < runs; i++) {
      // The first run is not a sample: it builds the environment and migrates with nothing kept yet.
      const one = await runOnce(1);
      const two = await runOnce(2, order);
      samples.one.push(one.testMs);
      samples.oneWall.push(one.wallMs);
      samples.two.push(two.testMs);
      samples.twoWall.push(two.wallMs);
      samples.balance.push(balanceOf(two.busy));
      // Amdahl: what the 2-worker run did outside its workers (start, collection, the project's coverage report) is serial.
      if (two.busy.length > 0) samples.serial.push({ serialMs: two.testMs - Math.max(...two.busy) * 1000, workMs: two.busy.reduce((a, b) => a + b, 0) * 1000 });
      same.push(JSON.stringify(one.counts) === JSON.stringify(two.counts));
      // Which tests ended otherwise with 2 workers (an order dependence of the project, or the split's fault): named.
      const outcomes = new Map(one.tests.map((t) => [t.id, t.outcome]));
      const differing = two.tests.filter((t) => outcomes.get(t.id) !== t.outcome).map((t) => `${t.id}: ${outcomes.get(t.id) ?? "absent"} → ${t.outcome}`);
      if (differing.length > 0) console.log(`  differing with 2 workers: ${differing.join("; ")}`);
    }
    const median = (xs: number[]) => summariseSamples(xs).median;
    const speedup = median(samples.one) / median(samples.two);
    const wallSpeedup = median(samples.oneWall) / median(samples.twoWall);
    const perfect = perfectBalance(first.tests, 2);
    return [
      { bench: "drf-split", metric: `DRF ${checkout.sha.slice(0, 12)} one cell (${first.counts.total} tests, 2 CPUs): test time, 1 worker`, value: formatMs(median(samples.one)) },
      { bench: "drf-split", metric: "test time, 2 workers longest first", value: `${formatMs(median(samples.two))} (${speedup.toFixed(2)}×)`, target: `≥ ${SPEEDUP_TARGET}×`, met: speedup >= SPEEDUP_TARGET },
      { bench: "drf-split", metric: "cell wall time, 1 → 2 workers (warm: after a first run that built the environment)", value: `${formatMs(median(samples.oneWall))} → ${formatMs(median(samples.twoWall))} (${wallSpeedup.toFixed(2)}×)` },
      { bench: "drf-split", metric: "balance (max ÷ mean worker busy time), 2 workers", value: median(samples.balance).toFixed(3) },
      { bench: "drf-split", metric: "balance of a perfect longest-first split of the recorded durations", value: perfect.toFixed(3) },
      ...serialRows(samples.serial),
      { bench: "drf-split", metric: "same counts with 1 and 2 workers", value: same.every(Boolean) ? "yes" : "no", met: same.every(Boolean) },
    ];
  });
}

if (isMainModule(import.meta.url)) {
  const { renderBenchTable } = await import("./support/bench-row.js");
  const rows = await runDrfSplitBench({ runs: Number(process.argv[2] ?? 1) });
  console.log(`\n${renderBenchTable(rows)}`);
}

/**
 * Amdahl's bound of the 2-worker run: its serial part (the harness's test
 * time less the longest worker's busy time: the start, pytest's collection,
 * the project's own coverage report) and the speed-up 2 workers can give
 * with it, (serial + work) ÷ (serial + work / 2).
 */
function serialRows(samples: Array<{ serialMs: number; workMs: number }>): BenchRow[] {
  if (samples.length === 0) return [];
  const serialMs = summariseSamples(samples.map((s) => s.serialMs)).median;
  const workMs = summariseSamples(samples.map((s) => s.workMs)).median;
  const bound = (serialMs + workMs) / (serialMs + workMs / 2);
  return [{ bench: "drf-split", metric: "serial part of the 2-worker run (start, collection, the project's coverage report) / the speed-up it allows", value: `${formatMs(serialMs)} of ${formatMs(serialMs + workMs / 2)} / ${bound.toFixed(2)}×` }];
}

/**
 * Matrix benchmark (issue 3, "Benchmarks"): examples/polls' three cells
 * (3.11 × 4.2, 3.11 × 5.2, 3.13 × 5.2) on this machine, `concurrency` cells at
 * a time: total wall time against the sum of the cells' test times (what the
 * harness measured) and the sum of the cells' wall times. Environments are
 * built once in an untimed warm-up; each concurrency level is then timed warm,
 * `rounds` times with the levels interleaved, and the medians are reported.
 *
 * Run after `npm run build`: `node dist/bench/matrix-bench.js [concurrency,…] [rounds]` (default 1,2,3 and 3).
 */
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import path from "node:path";
import type { Cell } from "../src/domain/cell.js";
import { cellKey, cellName } from "../src/domain/cell.js";
import { createLocalRunner, type LocalRunner } from "../runner/src/create-local-runner.js";
import { withBenchContext, type BenchContext } from "./support/bench-context.js";
import type { BenchRow } from "./support/bench-row.js";
import { assertCellSucceeded, collectCellRun, type CellRun } from "./support/collect-cell-run.js";
import { BENCH_LIMITS } from "./support/bench-limits.js";
import { isMainModule } from "./support/is-main-module.js";
import { makeExampleRepo, type ExampleRepo } from "./support/make-example-repo.js";
import { formatMs, summariseSamples } from "./support/summarise-samples.js";
import { createJobSpec } from "../src/domain/job-spec.js";

/** examples/polls/.github/ponyci.yml, less the cell it leaves out (Django 4.2 on Python 3.13). */
export const MATRIX_CELLS: Cell[] = [
  { python: "3.11", django: "4.2" },
  { python: "3.11", django: "5.2" },
  { python: "3.13", django: "5.2" },
];
const MAX_CONCURRENCY = 4;
const MAX_ROUNDS = 10;
/** Bound on one matrix run, warm-up (three environment builds) included. */
const MATRIX_BUDGET_MS = 20 * 60_000;

export interface MatrixBenchOptions {
  context?: BenchContext;
  /** Levels to time (default [1, 2, 3]; values above 4 are capped). */
  concurrency?: number[];
  /** Timed runs of each level (default 3, at most 10); the median is reported. */
  rounds?: number;
}

interface MatrixRun {
  wallMs: number;
  cells: CellRun[];
}

/** Time the three-cell matrix at each concurrency level, `rounds` times; rows (medians) for the summary table. */
export async function runMatrixBench(options: MatrixBenchOptions = {}): Promise<BenchRow[]> {
  const levels = [...new Set((options.concurrency ?? [1, 2, 3]).map((n) => Math.min(Math.max(1, Math.floor(n)), MAX_CONCURRENCY)))];
  const rounds = Math.min(Math.max(1, Math.floor(options.rounds ?? 3)), MAX_ROUNDS);
  return withBenchContext(options.context, async (context) => {
    const repo = await makeExampleRepo("polls", path.join(context.dataDir, `repo-matrix-${randomUUID().slice(0, 8)}`));
    const runner = createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell: BENCH_LIMITS });
    console.log(`matrix: examples/polls, ${MATRIX_CELLS.map(cellName).join(", ")}; concurrency ${levels.join(", ")} on ${availableParallelism()} cores`);

    // 1. Warm-up: every environment exists before anything is timed.
    const warmup = await runMatrix(runner, repo, 2);
    console.log(`  warm-up (environments built or found): ${formatMs(warmup.wallMs)}`);

    // 2. Timed rounds, levels interleaved within each round so drift in the machine's load hits them alike.
    const samples = new Map<number, { total: number[]; sumTest: number[]; sumWall: number[] }>(levels.map((level) => [level, { total: [], sumTest: [], sumWall: [] }]));
    for (let round = 0; round < rounds; round++) {
      for (const level of levels) {
        const run = await runMatrix(runner, repo, level);
        const sumTest = run.cells.reduce((sum, cell) => sum + cell.finished.testDurationMs, 0);
        const sumWall = run.cells.reduce((sum, cell) => sum + cell.wallMs, 0);
        const sample = samples.get(level);
        sample?.total.push(run.wallMs);
        sample?.sumTest.push(sumTest);
        sample?.sumWall.push(sumWall);
        const perCell = run.cells.map((cell, i) => `${cellKey(MATRIX_CELLS[i] ?? { python: "?", django: "?" })} ${formatMs(cell.wallMs)} (tests ${formatMs(cell.finished.testDurationMs)})`);
        console.log(`  round ${round + 1}, concurrency ${level}: total ${formatMs(run.wallMs)}; Σ test ${formatMs(sumTest)}; Σ cell wall ${formatMs(sumWall)} — ${perCell.join(", ")}`);
      }
    }

    // 3. Medians per level.
    const rows: BenchRow[] = [];
    const baseline = samples.get(1) ? summariseSamples(samples.get(1)?.total ?? []).median : undefined;
    for (const level of levels) {
      const sample = samples.get(level);
      if (!sample) continue;
      const total = summariseSamples(sample.total).median;
      const sumTest = summariseSamples(sample.sumTest).median;
      const sumWall = summariseSamples(sample.sumWall).median;
      const speedUp = baseline !== undefined && level > 1 ? `; ${(baseline / total).toFixed(2)}× faster than one at a time` : "";
      console.log(`  concurrency ${level} (median of ${rounds}): total ${formatMs(total)} = ${(total / sumTest).toFixed(2)}× Σ test time (${formatMs(sumTest)}), ${(total / sumWall).toFixed(2)}× Σ cell wall (${formatMs(sumWall)})${speedUp}`);
      const bench = `matrix ×${level}`;
      rows.push(
        { bench, metric: `total wall (median of ${rounds})`, value: formatMs(total) },
        { bench, metric: "Σ cells' test time (harness)", value: `${formatMs(sumTest)} (total/Σ = ${(total / sumTest).toFixed(2)})` },
        { bench, metric: "Σ cells' wall time", value: `${formatMs(sumWall)} (total/Σ = ${(total / sumWall).toFixed(2)})` },
      );
      if (baseline !== undefined && level > 1) rows.push({ bench, metric: "speed-up over concurrency 1", value: `${(baseline / total).toFixed(2)}×` });
    }
    return rows;
  });
}

/** The matrix, `concurrency` cells at a time, as the CLI runs it; throws unless every cell succeeds. */
async function runMatrix(runner: LocalRunner, repo: ExampleRepo, concurrency: number): Promise<MatrixRun> {
  const signal = AbortSignal.timeout(MATRIX_BUDGET_MS);
  const cells: CellRun[] = new Array(MATRIX_CELLS.length);
  const runId = randomUUID().slice(0, 8);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      const cell = MATRIX_CELLS[index];
      if (!cell) return;
      const begin = performance.now();
      const run = await collectCellRun(runner.cells.runCell({ jobId: `bench-matrix-${runId}-${index}`, source: { url: repo.dir, sha: repo.sha }, ...createJobSpec(cell) }, { signal }), begin);
      assertCellSucceeded(run, `matrix cell ${cellName(cell)}`);
      cells[index] = run;
    }
  };
  const begin = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, MATRIX_CELLS.length) }, worker));
  return { wallMs: performance.now() - begin, cells };
}

if (isMainModule(import.meta.url)) {
  const levels = process.argv[2]?.split(",").map(Number).filter((n) => Number.isFinite(n));
  const rows = await runMatrixBench({ concurrency: levels?.length ? levels : undefined, rounds: process.argv[3] ? Number(process.argv[3]) : undefined });
  const { renderBenchTable } = await import("./support/bench-row.js");
  console.log(`\n${renderBenchTable(rows)}`);
}

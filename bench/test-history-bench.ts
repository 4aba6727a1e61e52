/**
 * What explaining failures (issue 15) costs a cell, on a store with a long
 * history: `builds` commits of one repository's main branch, two cells each,
 * `tests` tests per cell, about 2 % of them failing (the same few tests keep
 * failing, a few flip). For a new commit's cell it times, median of `rounds`:
 * - recording the cell's results (what the store does for every cell anyway:
 *   the yardstick);
 * - failed first (`firstTestsFor`), confirm-before-blaming (`testsToConfirm`);
 * - the classification (`analyse`) with 5 failures, and with 100 (the cap on
 *   history look-ups).
 * Read as ratios to the yardstick, in one run; nothing is asserted.
 * `node dist/bench/test-history-bench.js [builds] [tests] [rounds]`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BuildRequest } from "../src/domain/build-request.js";
import { emptyCounts, type TestOutcome, type TestResult } from "../src/domain/events.js";
import { createFailureAnalyst } from "../src/history/create-failure-analyst.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import type { BenchRow } from "./support/bench-row.js";
import { isMainModule } from "./support/is-main-module.js";
import { formatMs, summariseSamples } from "./support/summarise-samples.js";

const CELLS = [
  { python: "3.11", django: "5.2" },
  { python: "3.13", django: "5.2" },
];

export async function runTestHistoryBench(options: { builds?: number; tests?: number; rounds?: number } = {}): Promise<BenchRow[]> {
  const builds = Math.min(options.builds ?? 1000, 5000);
  const tests = Math.min(options.tests ?? 200, 2000);
  const rounds = Math.min(options.rounds ?? 20, 200);
  const dir = mkdtempSync(path.join(tmpdir(), "ponyci-history-bench-"));
  const store = openStore({ dataDir: dir });
  try {
    const t0 = performance.now();
    let previous: string | undefined;
    for (let b = 0; b < builds; b++) {
      const sha = `sha${b}`;
      addBuild(store, sha, previous, (i) => (i % 50 === 0 ? "failed" : i % 97 === 0 && b % 3 === 0 ? "failed" : "passed"), tests);
      previous = sha;
    }
    const populateMs = performance.now() - t0;
    const rows = (store.sqlite.prepare("SELECT count(*) AS n FROM test_results").get() as { n: number }).n;
    console.log(`store: ${builds} builds × ${CELLS.length} cells × ${tests} tests = ${rows} results, written in ${formatMs(populateMs)}`);

    const analyst = createFailureAnalyst({ store });
    const samples = { record: [] as number[], first: [] as number[], confirm: [] as number[], analyse5: [] as number[], analyse100: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const [failing, key] of [[5, "analyse5"], [100, "analyse100"]] as const) {
        const sha = `new${r}-${failing}`;
        const started = performance.now();
        const { build, job } = addBuild(store, sha, previous, (i) => (i < failing ? "failed" : "passed"), tests, false);
        if (failing === 5) samples.record.push(performance.now() - started);
        let t = performance.now();
        analyst.firstTestsFor(build, job);
        if (failing === 5) samples.first.push(performance.now() - t);
        t = performance.now();
        analyst.testsToConfirm(build, job, { conclusion: "failure" });
        if (failing === 5) samples.confirm.push(performance.now() - t);
        t = performance.now();
        analyst.analyse(build, job);
        samples[key].push(performance.now() - t);
      }
    }
    const median = (list: number[]) => summariseSamples(list).median;
    const base = median(samples.record);
    const row = (metric: string, list: number[]): BenchRow => ({ bench: "test history", metric, value: `${formatMs(median(list))} (${(median(list) / base).toFixed(2)} × recording)` });
    return [
      { bench: "test history", metric: "history size", value: `${rows} results (${builds} commits × ${CELLS.length} cells × ${tests} tests)` },
      { bench: "test history", metric: `record one cell's ${tests} results (yardstick)`, value: formatMs(base) },
      row("failed first: list to run first", samples.first),
      row("confirm before blaming: decide", samples.confirm),
      row("classify 5 failures", samples.analyse5),
      row("classify 100 failures", samples.analyse100),
    ];
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A push build of main with one job per cell; every job finished with `outcomeOf(i)` for test i (only the first cell when `allCells` is false). */
function addBuild(store: Store, sha: string, before: string | undefined, outcomeOf: (i: number) => TestOutcome, tests: number, allCells = true) {
  const request = { source: "github", repo: { name: "bench/app", cloneUrl: "x", visibility: "public" }, sha, branch: "main", event: "push", base: { sha: before, branch: "main" } } as BuildRequest;
  const cells = allCells ? CELLS : CELLS.slice(0, 1);
  return store.transact("bench build", () => {
    const { build, jobs } = store.createBuild({
      repo: "bench/app", source: "github", visibility: "public", sha, branch: "main", event: "push", trigger: { request },
      jobs: cells.map((cell) => ({ cell })),
    });
    let last = jobs[0];
    for (const job of jobs) {
      store.recordJobStarted(job.id);
      const results: TestResult[] = Array.from({ length: tests }, (_, i) => ({ id: `app.tests.T${Math.floor(i / 20)}.test_${i}`, outcome: outcomeOf(i), durationMs: 3 }));
      store.addTestResults(job.id, results);
      last = store.recordJobFinished({ jobId: job.id, conclusion: results.some((t) => t.outcome === "failed") ? "failure" : "success", counts: emptyCounts() });
    }
    return { build, job: last ?? (jobs[0] as NonNullable<typeof last>) };
  });
}

if (isMainModule(import.meta.url)) {
  const [builds, tests, rounds] = process.argv.slice(2).map(Number);
  const rows = await runTestHistoryBench({ builds: builds || undefined, tests: tests || undefined, rounds: rounds || undefined });
  for (const r of rows) console.log(`${r.metric}: ${r.value}`);
}

/**
 * Every benchmark in bench/, one after another, then one summary table.
 * `npm run build && npm run bench`. Numbers are information: a missed target
 * is printed, never a failure; the exit code is 1 only when a benchmark could
 * not run at all. The benchmarks share one scratch data directory, removed at
 * the end with every environment built in it.
 */
import { runCellBench } from "./cell-bench.js";
import { runCheckoutBench } from "./checkout-bench.js";
import { runMatrixBench } from "./matrix-bench.js";
import { runWebhookBench } from "./webhook-bench.js";
import { runPushToDoneBench } from "./push-to-done-bench.js";
import { runRecoveryBench } from "./recovery-bench.js";
import { runScaleOutBench } from "./scale-out-bench.js";
import { runDashboardBench } from "./dashboard-bench.js";
import { runTestHistoryBench } from "./test-history-bench.js";
import { runServicesBench } from "./services-bench.js";
import { runToxPlanBench } from "./tox-plan-bench.js";
import { runPlanningBench } from "./planning-bench.js";
import { runColdEnvBench } from "./cold-env-bench.js";
import { runVersionsBench } from "./versions-bench.js";
import { createBenchContext, disposeBenchContext, type BenchContext } from "./support/bench-context.js";
import { renderBenchTable, type BenchRow } from "./support/bench-row.js";
import { isMainModule } from "./support/is-main-module.js";
import { formatMs } from "./support/summarise-samples.js";

interface Benchmark {
  name: string;
  run(context: BenchContext): Promise<BenchRow[]>;
}

const BENCHMARKS: Benchmark[] = [
  { name: "checkout", run: () => runCheckoutBench(20) },
  { name: "cell", run: (context) => runCellBench({ context, runs: 5 }) },
  { name: "matrix", run: (context) => runMatrixBench({ context, concurrency: [1, 2, 3] }) },
  { name: "webhook", run: () => runWebhookBench() },
  { name: "push→done", run: (context) => runPushToDoneBench({ context }) },
  { name: "recovery", run: () => runRecoveryBench() },
  { name: "scale-out", run: () => runScaleOutBench() },
  { name: "dashboard", run: () => runDashboardBench() },
  { name: "test history", run: () => runTestHistoryBench({ builds: 500 }) },
  { name: "services", run: (context) => runServicesBench({ context, runs: 5 }) },
  { name: "tox-plan", run: async () => runToxPlanBench() },
  { name: "planning", run: () => runPlanningBench() },
  { name: "cold env", run: (context) => runColdEnvBench({ context }) },
  { name: "versions", run: () => runVersionsBench() },
];

/** Run the benchmarks, print the table; resolves the process exit code. */
export async function runBenchmarks(benchmarks: Benchmark[] = BENCHMARKS): Promise<number> {
  const rows: BenchRow[] = [];
  let crashed = 0;
  const began = performance.now();
  const context = await createBenchContext();
  try {
    for (const benchmark of benchmarks) {
      console.log(`\n== ${benchmark.name} ==`);
      const t0 = performance.now();
      try {
        rows.push(...(await benchmark.run(context)));
      } catch (error) {
        crashed++;
        console.error(`benchmark ${benchmark.name} could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        rows.push({ bench: benchmark.name, metric: "could not run", value: error instanceof Error ? error.message.split("\n")[0] ?? "" : String(error) });
      }
      console.log(`(${benchmark.name}: ${formatMs(performance.now() - t0)})`);
    }
  } finally {
    await disposeBenchContext(context);
  }
  console.log(`\n== summary (${formatMs(performance.now() - began)} in all) ==\n${renderBenchTable(rows)}`);
  return crashed === 0 ? 0 : 1;
}

if (isMainModule(import.meta.url)) process.exitCode = await runBenchmarks();

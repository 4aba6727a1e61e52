import type { CellLimits } from "./create-instrumented-cell-runner.js";

/** The settings' defaults (PONYCI_CELL_*): one CPU, 2 GB, 512 pids, 10 min, 5 MB of log. */
export const BENCH_LIMITS: CellLimits = { memoryBytes: 2 * 1024 ** 3, nanoCpus: 1e9, pidsLimit: 512, timeoutSec: 600, logLimitBytes: 5 * 1024 ** 2 };

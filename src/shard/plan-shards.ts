import type { CellShard } from "../domain/cell-runner.js";

export interface PlanShardsOptions {
  /** The cell's job id (each shard gets its own: `<job>.shard<i>`). */
  jobId: string;
  /** Recorded test time per test class, ms (CellSpec.testTimings). */
  timings: Readonly<Record<string, number>>;
  /** Runners that could take a shard now. */
  runners: number;
  /** A cell whose recorded tests took less than this stays whole. */
  minDurationMs: number;
  /** Shards at most. */
  maxShards: number;
}

export interface ShardPlan {
  shards: Array<CellShard & { jobId: string; expectedMs: number }>;
  /** Largest expected shard ÷ mean expected shard: 1.0 is a perfect split. */
  balance: number;
  totalMs: number;
}

/**
 * How to split one cell across runners by recorded timings (issue 28), or
 * undefined when it stays whole (recorded time under `minDurationMs`, fewer
 * than two runners or classes). Classes (the unit that must stay in one
 * process) go longest first onto the least loaded shard (LPT greedy, ties by
 * name then lowest shard, so the plan is stable). The least loaded shard
 * runs "everything not listed elsewhere" (`excludeTests`): tests added since
 * the timings were recorded run there, once; every other shard lists its
 * classes (`tests`). Pure.
 */
export function planShards(options: PlanShardsOptions): ShardPlan | undefined {
  const classes = Object.entries(options.timings)
    .map(([name, ms]) => [name, Number.isFinite(ms) && ms > 0 ? ms : 0] as const)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const totalMs = classes.reduce((sum, [, ms]) => sum + ms, 0);
  const count = Math.min(Math.floor(options.runners), Math.floor(options.maxShards), classes.length);
  if (count < 2 || totalMs < options.minDurationMs || totalMs <= 0) return undefined;
  const loads = new Array<number>(count).fill(0);
  const members: string[][] = Array.from({ length: count }, () => []);
  for (const [name, ms] of classes) {
    let target = 0;
    for (let i = 1; i < count; i++) if (loads[i]! < loads[target]!) target = i;
    loads[target]! += ms;
    members[target]!.push(name);
  }
  let rest = count - 1;
  for (let i = count - 2; i >= 0; i--) if (loads[i]! < loads[rest]!) rest = i;
  const shards = members.map((tests, i) => {
    const shard = { jobId: `${options.jobId}.shard${i + 1}`, cellJobId: options.jobId, index: i + 1, of: count, expectedMs: loads[i]! };
    return i === rest ? { ...shard, excludeTests: members.filter((_, j) => j !== rest).flat() } : { ...shard, tests };
  });
  const mean = totalMs / count;
  return { shards, balance: Math.max(...loads) / mean, totalMs };
}

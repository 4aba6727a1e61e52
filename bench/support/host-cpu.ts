import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/**
 * The host's CPU time, all processes and containers together, from
 * /proc/stat: what a benchmark's phase cost the machine, not only this
 * process (environment builds and tests run in containers). Linux only;
 * undefined elsewhere.
 */
export function hostCpuSnapshot(): { busyMs: number; idleMs: number; at: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const [name, ...fields] = line.trim().split(/\s+/);
    if (name !== "cpu") return undefined;
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields.map(Number);
    // USER_HZ is 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
    return { busyMs: (user + nice + system + irq + softirq + steal) * 10, idleMs: (idle + iowait) * 10, at: performance.now() };
  } catch {
    return undefined;
  }
}

/** "6.1 core-s busy over 3.0 s: 2.0 of 2 cores (98 %)" between two snapshots. */
export function describeHostCpu(from: ReturnType<typeof hostCpuSnapshot>, to: ReturnType<typeof hostCpuSnapshot>): string | undefined {
  if (!from || !to) return undefined;
  const busy = (to.busyMs - from.busyMs) / 1000;
  const wall = (to.at - from.at) / 1000;
  const cores = availableParallelism();
  return `${busy.toFixed(1)} core-s busy over ${wall.toFixed(1)} s: ${(busy / wall).toFixed(1)} of ${cores} cores (${Math.round((100 * busy) / wall / cores)} %)`;
}

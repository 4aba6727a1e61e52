/**
 * Scale-out benchmark (issue 14, "Benchmark"), on a real redis-server
 * (its own port, AOF on) with the dummy cells of
 * bench/support/create-dummy-runner.ts (Docker is not the point here):
 *
 * - per-cell overhead of Redis: one cell at a time, enqueue → verdict, (a)
 *   the embedded queue (SQLite) with the cells run in the same process, (b)
 *   the BullMQ queue, the cell dispatched to a runner worker and its events
 *   relayed back over the Redis stream. Median of N; the difference is what
 *   a cell pays for going through Redis (target ≤ 50 ms).
 * - a burst of 50 commits over 10 repositories (one cell each, holding
 *   `holdMs`), with one runner vs two (concurrency 2 each): throughput and
 *   queue wait (dispatch → a runner took it) p50/p95.
 *
 * Run after `npm run build`: `node dist/bench/scale-out-bench.js [runs] [holdMs]` (default 30 and 200).
 */
import { createJobSpec } from "../src/domain/job-spec.js";
import { createRedisSeal } from "../src/domain/redis-seal.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createEmbeddedQueue } from "../src/queue/create-embedded-queue.js";
import { createBullmqQueue } from "../src/queue/create-bullmq-queue.js";
import type { JobQueue } from "../src/queue/job-queue.js";
import { openStore } from "../src/store/open-store.js";
import { createRemoteCellRunner, type RemoteCellRunner } from "../src/remote/create-remote-cell-runner.js";
import { summariseWaits } from "../src/remote/summarise-waits.js";
import type { CellRunner, CellSpec } from "../src/domain/cell-runner.js";
import { createRunnerWorker, type RunnerWorker } from "../runner/src/remote/create-runner-worker.js";
import { startRedisServer, type RedisServer } from "../test/support/redis-server.js";
import { createDummyRunner } from "./support/create-dummy-runner.js";
import { renderBenchTable, type BenchRow } from "./support/bench-row.js";
import { isMainModule } from "./support/is-main-module.js";
import { formatMs } from "./support/summarise-samples.js";

interface Payload {
  n: number;
}

const spec = (jobId: string): CellSpec => ({ jobId, source: { url: "file:///nowhere", sha: "0".repeat(40) }, ...createJobSpec({ python: "3.11", django: "5.2" }) });

async function drain(cells: CellRunner, s: CellSpec): Promise<void> {
  for await (const event of cells.runCell(s)) if (event.type === "finished" && event.conclusion !== "success") throw new Error(`cell ${s.jobId}: ${event.conclusion}`);
}

/** Enqueue → processor done, one job at a time; returns each latency (ms). */
async function timeSequential(queue: JobQueue<Payload>, cells: CellRunner, runs: number, tag: string): Promise<number[]> {
  const waiters = new Map<number, () => void>();
  queue.start(async (job) => {
    await drain(cells, spec(`${tag}-${job.payload.n}`));
    waiters.get(job.payload.n)?.();
  });
  const samples: number[] = [];
  for (let n = 0; n < runs; n++) {
    const done = new Promise<void>((resolve) => waiters.set(n, resolve));
    const t0 = performance.now();
    await queue.enqueue(`${tag}-${n}`, { n });
    await done;
    samples.push(performance.now() - t0);
  }
  await queue.stop({ graceMs: 1_000 });
  return samples;
}

const median = (samples: number[]): number => summariseWaits(samples).p50Ms;

export async function runScaleOutBench(options: { runs?: number; holdMs?: number } = {}): Promise<BenchRow[]> {
  const runs = options.runs ?? 30;
  const holdMs = options.holdMs ?? 200;
  const dir = mkdtempSync(path.join(tmpdir(), "ponyci-scale-bench-"));
  const redis: RedisServer = await startRedisServer();
  const seal = createRedisSeal("scale-out-bench-signing-key-0123456789");
  const rows: BenchRow[] = [];
  try {
    const instant = createDummyRunner(dir).cells;

    // 1. Per-cell overhead.
    const store = openStore({ dataDir: dir });
    const embedded = await timeSequential(createEmbeddedQueue<Payload>({ store, concurrency: 1, pollMs: 1_000 }), instant, runs, "emb");
    store.close();
    const remote = createRemoteCellRunner({ url: redis.url, seal, prefix: "bench1", routeOf: () => ({ repo: "o/r", pullRequest: false, labels: [] }) });
    await remote.start();
    const worker = createRunnerWorker({ url: redis.url, seal, prefix: "bench1", id: "bench-runner", labels: [], pythons: ["3.11"], concurrency: 1, cells: instant });
    await worker.start();
    const viaRedis = await timeSequential(createBullmqQueue<Payload>({ url: redis.url, name: "bench-jobs", prefix: "bench1", concurrency: 8 }), remote, runs, "red");
    await worker.stop({ graceMs: 1_000 });
    await remote.stop();
    const overhead = median(viaRedis) - median(embedded);
    console.log(`per cell: embedded ${formatMs(median(embedded))}, Redis ${formatMs(median(viaRedis))} (median of ${runs})`);
    rows.push({ bench: "scale-out", metric: "cell, embedded queue (median)", value: formatMs(median(embedded)) });
    rows.push({ bench: "scale-out", metric: "cell, BullMQ + runner over Redis (median)", value: formatMs(median(viaRedis)) });
    rows.push({ bench: "scale-out", metric: "overhead of Redis per cell", value: formatMs(overhead), target: "≤ 50 ms", met: overhead <= 50 });

    // 2. Burst: 50 commits over 10 repositories, one runner vs two.
    for (const runnerCount of [1, 2]) {
      const prefix = `burst${runnerCount}`;
      const hold = createDummyRunner(dir, { holdMs, passes: 3 }).cells;
      const server: RemoteCellRunner = createRemoteCellRunner({
        url: redis.url,
        seal,
        prefix,
        routeOf: (s) => ({ repo: `o/repo-${Number(s.jobId.split("-")[1]) % 10}`, pullRequest: false, labels: [] }),
      });
      await server.start();
      const workers: RunnerWorker[] = [];
      for (let i = 0; i < runnerCount; i++) {
        const w = createRunnerWorker({ url: redis.url, seal, prefix, id: `runner-${i}`, labels: [], pythons: ["3.11"], concurrency: 2, cells: hold });
        await w.start();
        workers.push(w);
      }
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 50 }, (_, n) => drain(server, spec(`c-${n}`))));
      const seconds = (performance.now() - t0) / 1000;
      const wait = (await server.metrics()).queueWait["cells-py3.11"] ?? summariseWaits([]);
      for (const w of workers) await w.stop({ graceMs: 1_000 });
      await server.stop();
      console.log(`burst, ${runnerCount} runner(s): ${(50 / seconds).toFixed(1)} cells/s, queue wait p50 ${formatMs(wait.p50Ms)} p95 ${formatMs(wait.p95Ms)}`);
      rows.push({ bench: "scale-out", metric: `burst 50×10 repos, ${runnerCount} runner(s): throughput`, value: `${(50 / seconds).toFixed(1)} cells/s (${seconds.toFixed(1)} s)` });
      rows.push({ bench: "scale-out", metric: `burst 50×10 repos, ${runnerCount} runner(s): queue wait p50 / p95`, value: `${formatMs(wait.p50Ms)} / ${formatMs(wait.p95Ms)}` });
    }
  } finally {
    await redis.remove();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (isMainModule(import.meta.url)) {
  const [runs, holdMs] = process.argv.slice(2).map(Number);
  const rows = await runScaleOutBench({ runs: runs || undefined, holdMs: holdMs || undefined });
  console.log(renderBenchTable(rows));
}

import type { CellRunner, CellSpec } from "../domain/cell-runner.js";
import { systemClock, type Clock } from "../domain/clock.js";
import type { FinishedEvent, RunnerEvent, TestEvent } from "../domain/events.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import { createEventChannel } from "../util/event-channel.js";
import { mergeShardVerdicts } from "./merge-shard-verdicts.js";
import { planShards, type ShardPlan } from "./plan-shards.js";

export interface ShardingCellRunnerOptions {
  /** Runs each shard as a cell of its own (the remote cell runner: any runner may take it). */
  inner: CellRunner;
  /** Runners that could take a shard of `spec` now; a failure counts as one (the cell stays whole). */
  runnersFor(spec: CellSpec): Promise<number>;
  /** A cell whose recorded tests took less stays whole (PONYCI_SHARD_MIN_SEC). */
  minDurationMs: number;
  /** Shards per cell at most (PONYCI_SHARD_MAX). */
  maxShards: number;
  /** Runs of one shard at most: a shard whose runner was lost (an infrastructure verdict) is re-queued. Default 3. */
  attempts?: number;
  log?: Logger;
  clock?: Clock;
}

/**
 * A CellRunner that splits a big cell across runners (issue 28, item 2):
 * when the cell's recorded test time (CellSpec.testTimings) reaches
 * `minDurationMs` and at least two runners could take it, each shard of
 * planShards runs through `inner` as its own cell (own job id, own fence,
 * own database service), and their streams merge into ONE cell: one
 * `started` (the first shard's), every shard's logs as they come, each
 * test once, one `finished` (mergeShardVerdicts). Anything else passes
 * through untouched.
 *
 * Never counted twice: a shard's test events are held until that attempt's
 * verdict; an attempt that ends with an infrastructure error (its runner was
 * lost) is dropped whole and the shard runs again, up to `attempts` times.
 * Only the attempt that finished speaks for the shard.
 */
export function createShardingCellRunner(options: ShardingCellRunnerOptions): CellRunner {
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const attempts = Math.max(1, options.attempts ?? 3);

  const plan = async (spec: CellSpec): Promise<ShardPlan | undefined> => {
    if (spec.shard || !spec.testTimings || spec.onlyTests?.length) return undefined;
    // Most cells are small: no need to ask Redis about runners for them.
    if (Object.values(spec.testTimings).reduce((sum, ms) => sum + (ms > 0 ? ms : 0), 0) < options.minDurationMs) return undefined;
    const runners = await options.runnersFor(spec).catch((error: unknown) => {
      log.debug({ err: error }, "shard: cannot count runners; the cell stays whole");
      return 1;
    });
    return planShards({ jobId: spec.jobId, timings: spec.testTimings, runners, minDurationMs: options.minDurationMs, maxShards: options.maxShards });
  };

  async function* runSharded(spec: CellSpec, shards: ShardPlan, signal: AbortSignal | undefined): AsyncGenerator<RunnerEvent> {
    const began = clock.now();
    const out = createEventChannel<RunnerEvent>();
    let started = false;
    const system = (line: string): void => out.push({ type: "log", stream: "system", line });
    const split = `Split across ${shards.shards.length} runners by recorded timings: balance ${shards.balance.toFixed(2)} (largest shard ÷ mean shard, 1.00 is even).`;
    system(`${split} Expected per shard: ${shards.shards.map((s) => `${s.index}: ${(s.expectedMs / 1000).toFixed(1)} s`).join(", ")}.`);
    log.info({ jobId: spec.jobId, shards: shards.shards.length, balance: shards.balance }, "shard: a cell split across runners");

    const runShard = async (shard: ShardPlan["shards"][number]): Promise<{ index: number; of: number; finished: FinishedEvent }> => {
      const { jobId, expectedMs: _expected, ...cellShard } = shard;
      const shardSpec: CellSpec = { ...spec, jobId, shard: cellShard, testTimings: undefined };
      const label = `shard ${shard.index}/${shard.of}`;
      for (let attempt = 1; ; attempt++) {
        const held: TestEvent[] = [];
        let finished: FinishedEvent | undefined;
        for await (const event of options.inner.runCell(shardSpec, { signal })) {
          if (event.type === "started") {
            system(`${label} started (${cellShard.tests ? `${cellShard.tests.length} classes` : "every class not listed in another shard"}).`);
            if (!started) {
              started = true;
              out.push({ ...event, jobId: spec.jobId, cell: spec.cell });
            }
          } else if (event.type === "test") held.push(event);
          else if (event.type === "log") out.push(event);
          else finished = event;
        }
        finished ??= { type: "finished", conclusion: "error", counts: { passed: 0, failed: 0, error: 0, skipped: 0, xfail: 0, xpass: 0, total: 0 }, durationMs: 0, testDurationMs: 0, error: { message: "the shard ended without a verdict" } };
        const lost = finished.conclusion === "error" && finished.infrastructureError !== undefined;
        if (lost && attempt < attempts && !signal?.aborted) {
          system(`${label}: ${finished.error?.message ?? "infrastructure error"}; its ${held.length} test results are dropped and the shard is queued again.`);
          log.warn({ jobId, attempt }, "shard: re-queued a shard whose attempt was lost");
          continue;
        }
        for (const event of held) out.push(event);
        system(`${label} finished: ${finished.conclusion}, ${finished.counts.total} tests.`);
        return { index: shard.index, of: shard.of, finished };
      }
    };

    const all = Promise.all(shards.shards.map(runShard)).then(
      (verdicts) => {
        if (!started) out.push({ type: "started", jobId: spec.jobId, cell: spec.cell, image: "", at: clock.now() });
        out.push(mergeShardVerdicts(verdicts, { durationMs: clock.now() - began, notes: [split] }));
        out.close();
      },
      (error: unknown) => out.fail(error),
    );
    try {
      yield* out;
    } finally {
      await all.catch(() => undefined);
    }
  }

  return {
    runCell(spec, runOptions = {}) {
      return (async function* (): AsyncGenerator<RunnerEvent> {
        const shards = await plan(spec);
        if (!shards) {
          yield* options.inner.runCell(spec, runOptions);
          return;
        }
        yield* runSharded(spec, shards, runOptions.signal);
      })();
    },
  };
}

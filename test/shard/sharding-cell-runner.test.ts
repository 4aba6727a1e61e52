/**
 * The sharding decorator and its verdict merge, over a scripted inner runner
 * (the real runners, processes and Redis: test/shard/shard-across-runners.test.ts).
 */
import { describe, expect, it } from "@jest/globals";
import type { CellRunner, CellSpec } from "../../src/domain/cell-runner.js";
import { InfrastructureError } from "../../src/domain/errors.js";
import { emptyCounts, type FinishedEvent, type RunnerEvent } from "../../src/domain/events.js";
import { createJobSpec } from "../../src/domain/job-spec.js";
import { createShardingCellRunner } from "../../src/shard/create-sharding-cell-runner.js";
import { mergeShardVerdicts } from "../../src/shard/merge-shard-verdicts.js";

const timings = { "app.tests.A": 60_000, "app.tests.B": 50_000, "app.tests.C": 20_000, "app.tests.D": 10_000 };
const spec = (over: Partial<CellSpec> = {}): CellSpec => ({ jobId: "j", source: { url: "/r", sha: "a".repeat(40) }, ...createJobSpec({ python: "3.12", django: "5.2" }), testTimings: timings, ...over });
const counts = (passed: number, failed = 0) => ({ ...emptyCounts(), passed, failed, total: passed + failed });
const verdict = (over: Partial<FinishedEvent>): FinishedEvent => ({ type: "finished", conclusion: "success", counts: emptyCounts(), durationMs: 1, testDurationMs: 1, ...over });

async function collect(events: AsyncIterable<RunnerEvent>): Promise<RunnerEvent[]> {
  const out: RunnerEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

/** Runs every shard's classes as two tests each; the first attempt of `lose` loses its runner after one test. */
function scripted(lose?: string): CellRunner & { specs: CellSpec[] } {
  const specs: CellSpec[] = [];
  const tries = new Map<string, number>();
  return {
    specs,
    runCell(s) {
      specs.push(s);
      return (async function* (): AsyncGenerator<RunnerEvent> {
        const attempt = (tries.get(s.jobId) ?? 0) + 1;
        tries.set(s.jobId, attempt);
        yield { type: "started", jobId: s.jobId, cell: s.cell, image: "img", at: 1 };
        const classes = s.shard?.tests ?? [...Object.keys(timings).filter((c) => !s.shard?.excludeTests?.includes(c)), "app.tests.New"];
        const ids = classes.flatMap((c) => [`${c}.test_1`, `${c}.test_2`]);
        if (s.jobId === lose && attempt === 1) {
          yield { type: "test", test: { id: ids[0]!, outcome: "passed", durationMs: 1 } };
          yield { type: "finished", conclusion: "error", counts: emptyCounts(), durationMs: 0, testDurationMs: 0, error: { message: "runner r1 was lost while running this cell" }, infrastructureError: new InfrastructureError("lost") };
          return;
        }
        for (const id of ids) yield { type: "test", test: { id, outcome: id === "app.tests.C.test_2" ? "failed" : "passed", durationMs: 1 } };
        const failed = ids.includes("app.tests.C.test_2") ? 1 : 0;
        yield verdict({ conclusion: failed ? "failure" : "success", counts: counts(ids.length - failed, failed), testDurationMs: ids.length, ...(attempt > 1 ? { notes: ["Retried after runner r1 was lost."] } : {}) });
      })();
    },
  };
}

describe("sharding cell runner", () => {
  it("runs a big cell as shards and merges them into one cell: one started, each test once, one finished", async () => {
    const inner = scripted();
    const runner = createShardingCellRunner({ inner, runnersFor: async () => 2, minDurationMs: 60_000, maxShards: 4 });
    const events = await collect(runner.runCell(spec()));
    expect(inner.specs.map((s) => [s.jobId, s.shard?.tests ?? "rest", s.shard?.excludeTests ?? []])).toEqual([
      ["j.shard1", ["app.tests.A", "app.tests.D"], []],
      ["j.shard2", "rest", ["app.tests.A", "app.tests.D"]],
    ]);
    expect(inner.specs.every((s) => s.testTimings === undefined && s.shard?.cellJobId === "j")).toBe(true);
    expect(events.filter((e) => e.type === "started")).toEqual([expect.objectContaining({ jobId: "j" })]);
    expect(events.at(-1)?.type).toBe("finished");
    const ids = events.flatMap((e) => (e.type === "test" ? [e.test.id] : []));
    expect(ids.sort()).toEqual(["A", "B", "C", "D", "New"].flatMap((c) => [`app.tests.${c}.test_1`, `app.tests.${c}.test_2`]).sort());
    expect(events.at(-1)).toMatchObject({ conclusion: "failure", counts: counts(9, 1), testDurationMs: 6 });
    const logs = events.flatMap((e) => (e.type === "log" ? [e.line] : []));
    expect(logs[0]).toMatch(/^Split across 2 runners by recorded timings: balance 1\.00 .*Expected per shard: 1: 70\.0 s, 2: 70\.0 s\.$/);
  });

  it("re-queues a shard whose runner was lost and counts only the attempt that finished", async () => {
    const inner = scripted("j.shard1");
    const runner = createShardingCellRunner({ inner, runnersFor: async () => 2, minDurationMs: 60_000, maxShards: 4 });
    const events = await collect(runner.runCell(spec()));
    expect(inner.specs.map((s) => s.jobId)).toEqual(["j.shard1", "j.shard2", "j.shard1"]);
    const ids = events.flatMap((e) => (e.type === "test" ? [e.test.id] : []));
    expect(ids.filter((id) => id === "app.tests.A.test_1")).toHaveLength(1);
    expect(ids).toHaveLength(10);
    const finished = events.at(-1) as FinishedEvent;
    expect(finished).toMatchObject({ conclusion: "failure", counts: counts(9, 1) });
    expect(finished.notes).toContain("Shard 1/2: Retried after runner r1 was lost.");
    expect(events.flatMap((e) => (e.type === "log" ? [e.line] : []))).toContain("shard 1/2: runner r1 was lost while running this cell; its 1 test results are dropped and the shard is queued again.");
  });

  it("gives up on a shard after its attempts: the cell is an infrastructure error (the job queue retries it whole)", async () => {
    const inner: CellRunner = {
      runCell: (s) => (async function* (): AsyncGenerator<RunnerEvent> {
        if (s.jobId === "j.shard2") yield verdict({ conclusion: "error", error: { message: "lost" }, infrastructureError: new InfrastructureError("lost") });
        else yield verdict({ counts: counts(2) });
      })(),
    };
    const events = await collect(createShardingCellRunner({ inner, runnersFor: async () => 3, minDurationMs: 1, maxShards: 2, attempts: 2 }).runCell(spec()));
    expect(events.filter((e) => e.type === "started")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ conclusion: "error", error: { message: "shard 2/2: lost" }, counts: counts(2) });
    expect((events.at(-1) as FinishedEvent).infrastructureError).toBeInstanceOf(InfrastructureError);
  });

  it.each([
    ["below the threshold", { minDurationMs: 200_000 }, {}],
    ["one runner", { runners: 1 }, {}],
    ["no runner count (Redis away)", { runners: -1 }, {}],
    ["no recorded timings", {}, { testTimings: undefined }],
    ["a re-run of chosen tests", {}, { onlyTests: ["app.tests.A.test_1"] }],
  ])("passes a cell through whole: %s", async (_name, opts: { minDurationMs?: number; runners?: number }, over: Partial<CellSpec>) => {
    const inner = scripted();
    const runnersFor = async () => {
      if (opts.runners === -1) throw new Error("Redis away");
      return opts.runners ?? 2;
    };
    await collect(createShardingCellRunner({ inner, runnersFor, minDurationMs: opts.minDurationMs ?? 60_000, maxShards: 4 }).runCell(spec(over)));
    expect(inner.specs.map((s) => [s.jobId, s.shard])).toEqual([["j", undefined]]);
  });
});

describe("mergeShardVerdicts", () => {
  it.each([
    [["success", "failure"], "failure"],
    [["neutral", "success"], "neutral"],
    [["failure", "timed_out"], "timed_out"],
    [["timed_out", "cancelled"], "cancelled"],
    [["cancelled", "error"], "error"],
    [["success", "success"], "success"],
  ] as const)("the worst conclusion speaks for the cell: %j → %s", (conclusions, expected) => {
    const merged = mergeShardVerdicts(conclusions.map((conclusion, i) => ({ index: i + 1, of: 2, finished: verdict({ conclusion }) })), { durationMs: 9 });
    expect(merged.conclusion).toBe(expected);
  });

  it("sums counts and truncated lines, keeps the longest test time, the worst shard's error and exit code, every note", () => {
    const merged = mergeShardVerdicts(
      [
        { index: 1, of: 2, finished: verdict({ counts: counts(3), testDurationMs: 40, exitCode: 0, truncatedLines: 2, notes: ["a"] }) },
        { index: 2, of: 2, finished: verdict({ conclusion: "failure", counts: counts(1, 2), testDurationMs: 30, exitCode: 1, error: { message: "boom" }, countsUnknown: true, truncatedLines: 3 }) },
      ],
      { durationMs: 50, notes: ["split"] },
    );
    expect(merged).toEqual({ type: "finished", conclusion: "failure", counts: counts(4, 2), durationMs: 50, testDurationMs: 40, exitCode: 1, error: { message: "shard 2/2: boom" }, countsUnknown: true, truncatedLines: 5, notes: ["split", "Shard 1/2: a"] });
  });
});

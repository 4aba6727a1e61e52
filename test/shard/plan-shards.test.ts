import { describe, expect, it } from "@jest/globals";
import { planShards } from "../../src/shard/plan-shards.js";

const base = { jobId: "j1", runners: 2, minDurationMs: 60_000, maxShards: 4 };

describe("planShards", () => {
  it("puts classes longest first onto the least loaded shard; the least loaded also runs everything not listed", () => {
    // Buildkite's example: 10 + 3 + 2 + 1 minutes.
    const min = 60_000;
    const plan = planShards({ ...base, runners: 2, timings: { "a.T10": 10 * min, "a.T3": 3 * min, "a.T2": 2 * min, "a.T1": 1 * min } });
    expect(plan?.shards).toEqual([
      { jobId: "j1.shard1", cellJobId: "j1", index: 1, of: 2, expectedMs: 10 * min, tests: ["a.T10"] },
      { jobId: "j1.shard2", cellJobId: "j1", index: 2, of: 2, expectedMs: 6 * min, excludeTests: ["a.T10"] },
    ]);
    expect(plan?.balance).toBeCloseTo(10 / 8);
    expect(plan?.totalMs).toBe(16 * min);
  });

  it("splits as evenly as greedy can, each class in exactly one shard (once: never split, never twice)", () => {
    const timings = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`app.tests.C${i}`, 1_000 + ((i * 7919) % 13) * 500]));
    const plan = planShards({ ...base, runners: 3, maxShards: 3, timings })!;
    expect(plan.shards).toHaveLength(3);
    const listed = plan.shards.flatMap((s) => s.tests ?? []);
    const rest = plan.shards.filter((s) => s.excludeTests);
    expect(rest).toHaveLength(1);
    // The rest shard excludes exactly what the others list; it runs the remaining classes.
    expect([...rest[0]!.excludeTests!].sort()).toEqual([...listed].sort());
    expect(new Set(listed).size).toBe(listed.length);
    expect(plan.balance).toBeLessThan(1.05);
    expect(plan.shards.map((s) => s.expectedMs).reduce((a, b) => a + b)).toBe(plan.totalMs);
  });

  it.each([
    ["under the threshold", { timings: { "a.A": 20_000, "a.B": 20_000 } }],
    ["one runner", { runners: 1, timings: { "a.A": 90_000, "a.B": 90_000 } }],
    ["one class (never split)", { timings: { "a.A": 900_000 } }],
    ["no timings", { timings: {} }],
    ["shards capped at one", { maxShards: 1, timings: { "a.A": 90_000, "a.B": 90_000 } }],
  ])("keeps the cell whole: %s", (_name, overrides) => {
    expect(planShards({ ...base, ...overrides })).toBeUndefined();
  });

  it("never plans more shards than runners, the cap or classes", () => {
    const timings = { "a.A": 50_000, "a.B": 40_000, "a.C": 30_000 };
    expect(planShards({ ...base, runners: 8, maxShards: 8, timings })?.shards).toHaveLength(3);
    expect(planShards({ ...base, runners: 8, maxShards: 2, timings })?.shards).toHaveLength(2);
  });

  it("reads bad durations (negative, NaN) as zero and is stable for equal ones", () => {
    const plan = planShards({ ...base, minDurationMs: 1, timings: { "a.B": 1_000, "a.A": 1_000, "a.X": Number.NaN, "a.Y": -5 } })!;
    expect(plan.shards.map((s) => s.tests ?? "rest")).toEqual([["a.A", "a.X", "a.Y"], "rest"]);
    expect(plan.shards[1]!.excludeTests).toEqual(["a.A", "a.X", "a.Y"]);
  });
});

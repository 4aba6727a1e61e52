import { describe, expect, it } from "@jest/globals";
import { createLocalRunner } from "../../runner/src/create-local-runner.js";
import type { CellSpec } from "../../src/domain/cell-runner.js";
import { createJobSpec } from "../../src/domain/job-spec.js";
import { orderTestClasses } from "../../src/history/order-test-classes.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { TEST_DATA_DIR, TEST_LIMITS, containersOf, createTestRunner, jobId, runSpec, type CollectedRun } from "../support/test-runner.js";

/**
 * One cell's suite split across worker processes by timings (issue 28), in a
 * real container: Django's own --parallel (a TestCase class stays in one
 * process, one test database each), the classes dispatched longest first
 * from the previous run's recorded durations, every result reported once with
 * the duration the worker measured.
 */
const single = createTestRunner();
const split = createLocalRunner({ dataDir: TEST_DATA_DIR, baseImage: "auto", cell: { ...TEST_LIMITS, nanoCpus: 2e9, testWorkers: 2 } });

/** Each class's start (from its skipped test's reason) and the process it ran in. */
function starts(run: CollectedRun): Map<string, { at: number; pid: number }> {
  const byClass = new Map<string, { at: number; pid: number }>();
  for (const test of run.tests) {
    const match = /^started=([\d.]+) pid=(\d+)$/.exec(test.message ?? "");
    if (match) byClass.set(test.id.replace(/\.test_a_started$/, ""), { at: Number(match[1]), pid: Number(match[2]) });
  }
  return byClass;
}

describe("split by timings", () => {
  it("the longest class of the last run goes first to one of two workers; results once each, with the workers' durations", async () => {
    const repo = await createFixtureRepo("django-parallel");
    const spec = (): CellSpec => ({ jobId: jobId("split"), source: { url: repo.dir, sha: repo.sha }, ...createJobSpec({ python: "3.11", django: "5.2" }) });

    // The last run, on one process: the timings the order comes from.
    const last = await runSpec(single, spec());
    expect(last.finished.conclusion).toBe("success");
    expect(new Set([...starts(last).values()].map((s) => s.pid)).size).toBe(1);
    const order = orderTestClasses(last.tests);
    // EchoTests works 0.3 s, the others 0.05 s: by name it would be dispatched last.
    expect(order[0]).toBe("lab.tests.EchoTests");

    const id = jobId("split");
    const run = await runSpec(split, { ...spec(), jobId: id, testOrder: order });
    expect(run.finished.conclusion).toBe("success");
    expect(run.finished.counts).toEqual(expect.objectContaining({ passed: 5, skipped: 5, total: 10 }));
    expect(new Set(run.tests.map((t) => t.id)).size).toBe(10);
    const byClass = starts(run);
    expect(new Set([...byClass.values()].map((s) => s.pid)).size).toBe(2);
    // Dispatched in the order given: EchoTests is among the first two classes to start.
    const firstTwo = [...byClass.entries()].sort(([, a], [, b]) => a.at - b.at).slice(0, 2).map(([cls]) => cls);
    expect(firstTwo).toContain("lab.tests.EchoTests");
    // The duration is the worker's own (the parent only replays results): at least the test's 0.3 s sleep.
    expect(run.tests.find((t) => t.id === "lab.tests.EchoTests.test_work")?.durationMs).toBeGreaterThanOrEqual(300);
    expect(await containersOf(id)).toEqual([]);
  });
});

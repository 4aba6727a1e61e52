import { describe, expect, it } from "@jest/globals";
import { createLocalRunner } from "../../runner/src/create-local-runner.js";
import type { CellSpec } from "../../src/domain/cell-runner.js";
import { createJobSpec } from "../../src/domain/job-spec.js";
import { orderTestClasses } from "../../src/history/order-test-classes.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { plannedEnvironment } from "../support/plan-requirements.js";
import { TEST_DATA_DIR, TEST_LIMITS, containersOf, createTestRunner, jobId, runSpec, type CollectedRun } from "../support/test-runner.js";

/**
 * A pytest cell split over 2 worker processes in its container (issue 28,
 * runner/harness/ponyci_pytest_split.py): without and with pytest-django on
 * SQLite, the split run reports the results of the 1-process run, each test
 * once, from two processes, in one stream (one check run, one JUnit, one
 * history), with the groups ordered from the last run's timings.
 */
const single = createTestRunner();
const split = createLocalRunner({ dataDir: TEST_DATA_DIR, baseImage: "auto", cell: { ...TEST_LIMITS, nanoCpus: 2e9, testWorkers: 2 } });

const outcomes = (run: CollectedRun) => Object.fromEntries(run.tests.map((t) => [t.id, t.outcome]));
const pids = (run: CollectedRun) => new Set(run.tests.flatMap((t) => /pid=(\d+)/.exec(t.message ?? "")?.[1] ?? []));

describe("pytest split by timings", () => {
  it.each([
    ["pytest-split", 16],
    ["pytest-split-django", 7],
  ])("%s: 2 workers give the results of 1 worker", async (fixture, count) => {
    const repo = await createFixtureRepo(fixture);
    const cell = { python: "3.11", django: "5.2" };
    const spec = (prefix: string): CellSpec => ({ jobId: jobId(prefix), source: { url: repo.dir, sha: repo.sha }, ...createJobSpec(cell, { environment: plannedEnvironment(repo.dir, cell) }) });

    const one = await runSpec(single, spec("pysplit1"));
    expect(one.finished.conclusion).toBe("failure");
    expect(pids(one).size).toBe(1);

    const twoSpec = { ...spec("pysplit2"), testOrder: orderTestClasses(one.tests) };
    const two = await runSpec(split, twoSpec);
    expect(two.finished.conclusion).toBe("failure");
    expect(two.finished.counts).toEqual(one.finished.counts);
    expect(two.finished.counts.total).toBe(count);
    expect(two.tests).toHaveLength(count);
    expect(outcomes(two)).toEqual(outcomes(one));
    expect(pids(two).size).toBe(2);
    expect(two.logs.join("\n")).toContain("pulled by 2 pytest workers");
    expect(await containersOf(twoSpec.jobId)).toEqual([]);
  }, 600_000);
});

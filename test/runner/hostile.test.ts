import { beforeAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { existsSync, readdirSync } from "node:fs";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { containersOf, createTestRunner, jobId, runSpec } from "../support/test-runner.js";
import { DEFAULT_HARNESS_DIR } from "../../runner/src/cell/run-cell.js";
import { createJobSpec } from "../../src/domain/job-spec.js";

/**
 * Hostile test code: each case asserts the exact verdict, that the host is
 * unharmed, and that no container is left behind.
 */
const CELL = { python: "3.11", django: "5.2" };
let repo: FixtureRepo;

beforeAll(async () => {
  repo = await createFixtureRepo("hostile");
  // The cell's deadline covers the environment build too: build it once, untimed, so each case's deadline is the tests'.
  await runSpec(createTestRunner(), { jobId: jobId("warm"), source: { url: repo.dir, sha: repo.sha }, ...createJobSpec(CELL, { command: "true", timeoutSec: 900 }) });
}, 900_000);

async function runHostile(module: string, overrides: Parameters<typeof createTestRunner>[0] = {}, timeoutSec?: number) {
  const id = jobId(module);
  const runner = createTestRunner(overrides);
  const run = await runSpec(runner, {
    jobId: id,
    source: { url: repo.dir, sha: repo.sha },
    ...createJobSpec(CELL, { command: `python manage.py test hostile.${module}`, timeoutSec }),
  });
  expect(await containersOf(id)).toEqual([]);
  return run;
}

async function hostCanStillSpawn(): Promise<void> {
  const { stdout } = await execa("sh", ["-c", "echo alive"]);
  expect(stdout).toBe("alive");
}

describe("hostile test code", () => {
  it("a fork bomb is held by the pids limit and ended by the timeout", async () => {
    const run = await runHostile("test_forkbomb", { pidsLimit: 64 }, 15);
    expect(run.finished.conclusion).toBe("timed_out");
    expect(run.finished.error?.message).toMatch(/Timed out after 15 s/);
    await hostCanStillSpawn();
  });

  it("a memory hog is killed at the memory limit", async () => {
    const run = await runHostile("test_memory", { memoryBytes: 256 * 1024 ** 2 }, 120);
    expect(run.finished.conclusion).toBe("failure");
    expect(run.finished.error?.message).toMatch(/out of memory|killed/i);
    await hostCanStillSpawn();
  });

  it("an endless loop hits the wall-clock timeout", async () => {
    const started = Date.now();
    const run = await runHostile("test_endless", {}, 8);
    expect(run.finished.conclusion).toBe("timed_out");
    expect(Date.now() - started).toBeLessThan(120_000);
  });

  it("200 MB of output is bounded: the verdict stands and the log is cut with a count", async () => {
    const run = await runHostile("test_flood", { logLimitBytes: 256 * 1024 });
    expect(run.finished.conclusion).toBe("success");
    expect(run.finished.counts).toMatchObject({ passed: 1, total: 1 });
    expect(run.finished.truncatedLines).toBeGreaterThan(150_000);
    const kept = run.logs.reduce((sum, line) => sum + line.length + 1, 0);
    expect(kept).toBeLessThanOrEqual(256 * 1024 + 8192);
  });

  it("cannot reach the network", async () => {
    const run = await runHostile("test_network");
    expect(run.tests.map((t) => [t.id.split(".").pop(), t.outcome])).toEqual(
      expect.arrayContaining([
        ["test_cannot_resolve_names", "passed"],
        ["test_cannot_connect_out", "passed"],
        ["test_only_loopback_interface", "passed"],
      ]),
    );
    expect(run.finished.conclusion).toBe("success");
  });

  it("cannot write outside its workspace, gain root, see the Docker socket or secrets", async () => {
    const harnessBefore = readdirSync(DEFAULT_HARNESS_DIR).sort();
    process.env.PONYCI_TEST_SECRET_TOKEN = "must-not-leak";
    try {
      const run = await runHostile("test_escape");
      expect(run.tests.filter((t) => t.outcome !== "passed")).toEqual([]);
      expect(run.finished.counts.passed).toBe(6);
      expect(run.finished.conclusion).toBe("success");
    } finally {
      delete process.env.PONYCI_TEST_SECRET_TOKEN;
    }
    expect(readdirSync(DEFAULT_HARNESS_DIR).sort()).toEqual(harnessBefore);
    expect(existsSync("/etc/ponyci-pwned")).toBe(false);
    expect(existsSync("/ponyci-pwned")).toBe(false);
  });
});

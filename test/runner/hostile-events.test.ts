import { beforeAll, describe, expect, it } from "@jest/globals";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { containersOf, createTestRunner, jobId, runSpec } from "../support/test-runner.js";
import { DEFAULT_MAX_TEST_EVENTS } from "../../runner/src/cell/run-cell.js";
import { createJobSpec } from "../../src/domain/job-spec.js";

/**
 * The events channel under attack from inside the test container: the host
 * reads only the file it created and opened before the container started
 * (bind-mounted by itself, so the path cannot be replaced), and reads a
 * bounded amount of it. Each run ends within its deadline with a verdict.
 */
const CELL = { python: "3.11", django: "5.2" };
const EVENTS = "/ponyci/out/events.jsonl";
let repo: FixtureRepo;

beforeAll(async () => {
  repo = await createFixtureRepo("hostile");
  // The cell's deadline covers the environment build too: build it once, untimed, so each case's deadline is its own.
  await runCommand("true", 900);
}, 900_000);

async function runCommand(command: string, timeoutSec = 60) {
  const id = jobId("events");
  const run = await runSpec(createTestRunner(), { jobId: id, source: { url: repo.dir, sha: repo.sha }, ...createJobSpec(CELL, { command, timeoutSec }) });
  expect(await containersOf(id)).toEqual([]);
  return run;
}

describe("a test container attacking the events channel", () => {
  it.each([
    ["a FIFO", `mkfifo ${EVENTS}.new && mv -f ${EVENTS}.new ${EVENTS}`],
    ["a symlink to /dev/zero", `ln -sf /dev/zero ${EVENTS}`],
    ["a directory", `rm -f ${EVENTS}; mkdir ${EVENTS}`],
  ])("cannot replace events.jsonl with %s: the run ends on its own, not at the deadline", async (_what, attack) => {
    const run = await runCommand(`${attack}; echo "exit status $?"; ls -la /ponyci/out`);
    expect(run.logs.join("\n")).toMatch(/busy|exists|not permitted|read-only/i);
    expect(run.finished.conclusion).not.toBe("timed_out");
    expect(run.finished.conclusion).not.toBe("error");
    // The harness's own end event still arrived through the host's descriptor.
    expect(run.logs.some((line) => line.startsWith("Running tests with"))).toBe(true);
  }, 120_000);

  it("a 10 GB sparse events file is read only up to the limit", async () => {
    const run = await runCommand(`python -c "import os; os.truncate('${EVENTS}', 10 * 1024 ** 3)"`, 40);
    expect(run.logs).toContainEqual(expect.stringMatching(/the events file was read up to its limit \(67108864 bytes\)/));
    expect(run.finished.conclusion).not.toBe("error");
  }, 120_000);

  it("10 million events: at most the per-cell number of results is passed on, the rest counted", async () => {
    const line = JSON.stringify({ event: "test", id: "hostile.flood", outcome: "passed" });
    const run = await runCommand(`yes '${line}' | head -n 10000000 >> ${EVENTS}`);
    expect(run.tests.length).toBe(DEFAULT_MAX_TEST_EVENTS);
    expect(run.logs).toContainEqual(expect.stringMatching(/more test results were dropped \(at most 100000 per cell\)/));
    expect(run.finished.conclusion).not.toBe("error");
  }, 180_000);
});

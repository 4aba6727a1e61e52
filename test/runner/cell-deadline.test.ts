import { describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { containersOf, createTestRunner, jobId, runSpec } from "../support/test-runner.js";
import { createJobSpec } from "../../src/domain/job-spec.js";

/**
 * One deadline covers every phase of a cell: a cold environment build that
 * outlasts the cell's timeout ends the cell as timed out, before any test
 * container starts (it used to get its full timeout after the build).
 */
describe("the cell's deadline", () => {
  it("ends a cell whose environment build outlasts its timeout, before the tests start", async () => {
    const repo = await createFixtureRepo("django-pass");
    const id = jobId("deadline");
    // A requirement no environment was built for yet (the marker is always true, and unique).
    const requirement = `iniconfig; python_full_version != "0.0.${Date.now()}${randomUUID().slice(0, 4).replace(/\D/g, "")}"`;
    const cell = { python: "3.11", django: "5.2" };
    const runner = createTestRunner();
    // The mirror made first: the cell's checkout is then a local clone of a second or less, even on a
    // loaded machine, and the deadline falls in the cold build (several seconds of resolve, download, install).
    const warm = await runner.checkout.checkout({ url: repo.dir, sha: repo.sha, workspaceDir: path.join(tmpdir(), `ponyci-deadline-warm-${randomUUID().slice(0, 8)}`) });
    await warm.remove();
    const run = await runSpec(runner, {
      jobId: id,
      source: { url: repo.dir, sha: repo.sha },
      ...createJobSpec(cell, { environment: { python: cell.python, django: cell.django, requirements: [requirement] }, timeoutSec: 4 }),
    });
    expect(run.finished.conclusion).toBe("timed_out");
    expect(run.finished.error?.message).toMatch(/^Timed out after 4 s during the environment build/);
    expect(run.events.some((event) => event.type === "started")).toBe(false);
    expect(await containersOf(id)).toEqual([]);
  }, 120_000);

  it("a repository's timeout cannot exceed the operator's", async () => {
    const repo = await createFixtureRepo("hostile");
    const id = jobId("deadline-cap");
    const run = await runSpec(createTestRunner({ timeoutSec: 8 }), {
      jobId: id,
      source: { url: repo.dir, sha: repo.sha },
      ...createJobSpec({ python: "3.11", django: "5.2" }, { command: "sleep 600", timeoutSec: 86_400 }),
    });
    expect(run.finished.conclusion).toBe("timed_out");
    expect(run.finished.error?.message).toMatch(/Timed out after 8 s/);
  }, 120_000);
});

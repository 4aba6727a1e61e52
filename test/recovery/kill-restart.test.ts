import { afterEach, describe, expect, it } from "@jest/globals";
import { openStore } from "../../src/store/open-store.js";
import { CHECK_RUNS, CHECK_RUNS_FOR_REF } from "../support/fake-github-server.js";
import { cellInProgress, completionOf, createRecoveryScenario, isAggregateRun, type RecoveryScenario } from "./support/recovery-scenario.js";

/**
 * Issue 5: `kill -9` the server in the middle of a cell, start it again on
 * the same data directory. Real processes (`ponyci serve`), real Docker,
 * GitHub faked over HTTP with every body checked against GitHub's schema.
 */
describe("ponyci serve killed with SIGKILL in the middle of a cell", () => {
  let scenario: RecoveryScenario | undefined;
  afterEach(async () => {
    await scenario?.dispose();
    scenario = undefined;
  });

  it("runs the cell again after a restart: one check run, told it restarted, completed as success, no container left", async () => {
    scenario = await createRecoveryScenario({ name: "killed" });
    const s = scenario;
    try {
      const first = await s.start();
      expect((await s.push(first, "delivery-killed-1")).status).toBe(200);

      // The cell runs: its check run went in_progress and its test container is up.
      const created = await s.waitFor(() => s.creates()[0], 60_000, "the check run's create");
      const jobId = created.external_id ?? "";
      expect(jobId).not.toBe("");
      await s.waitFor(() => cellInProgress(s), 180_000, "the in_progress update");
      await s.waitFor(async () => (await s.containersOf(jobId, { running: true })).length > 0, 30_000, "the running test container");

      first.kill("SIGKILL");
      expect((await first.exited).signal).toBe("SIGKILL");
      // The dead server's container outlives it: only the restart can clean it up.
      expect(await s.containersOf(jobId)).not.toEqual([]);

      const second = await s.start();
      const completion = await s.waitFor(() => completionOf(s.patches()), 180_000, "the completion after the restart");

      expect(completion).toMatchObject({ status: "completed", conclusion: "success" });
      expect(completion.output?.title).toMatch(/^4 passed in /);
      // One check run: the create was sent once (no duplicate from the restart).
      expect(s.creates({ accepted: false })).toHaveLength(1);
      expect(s.cellRuns()).toHaveLength(1);
      // One aggregate "Pony CI" run for the one build, completed once, as success.
      await s.waitFor(() => s.aggregatePatches().some((p) => p.conclusion !== undefined), 60_000, "the aggregate's completion");
      expect(s.aggregateCreates({ accepted: false })).toHaveLength(1);
      expect(s.aggregatePatches({ accepted: false }).filter((p) => p.conclusion !== undefined)).toHaveLength(1);
      expect(s.aggregateRuns().map((r) => r.fields)).toMatchObject([{ status: "completed", conclusion: "success" }]);
      // The user was told, then the cell ran again from the start.
      const patches = s.patches();
      const restarted = patches.findIndex((p) => p.output?.title === "Restarted");
      // (The first run went in_progress in its create, so "Restarted" may be the first PATCH.)
      expect(restarted).toBeGreaterThanOrEqual(0);
      expect(s.starts().length).toBeGreaterThanOrEqual(2);
      expect(patches[restarted]).toMatchObject({ status: "queued" });
      expect(patches.slice(restarted).some((p) => p.status === "in_progress")).toBe(true);
      expect(s.patches({ accepted: false }).filter((p) => p.conclusion !== undefined)).toHaveLength(1);
      // No container left: the dead server's was reaped, the new one's removed after the run.
      expect(await s.containersOf(jobId)).toEqual([]);
      expect(s.github.violations()).toEqual([]);

      second.kill("SIGTERM");
      expect((await second.exited).code).toBe(0);
      const store = openStore({ dataDir: s.dataDir });
      try {
        expect(store.getJob(jobId)).toMatchObject({ state: "finished", conclusion: "success", attempts: 2 });
        expect(store.listBuilds()).toHaveLength(1);
      } finally {
        store.close();
      }
    } catch (error) {
      throw new Error(`${String(error)}\n${s.report()}`, { cause: error });
    }
  }, 420_000);
  it("killed while its check-run create is in flight (GitHub made the run, the answer was lost): the restart finds the run by external_id instead of making a second", async () => {
    scenario = await createRecoveryScenario({ name: "in-doubt" });
    const s = scenario;
    try {
      // The cell's create, not the aggregate "Pony CI" one (made first, when the build is planned).
      s.github.failNext({ method: "POST", pathTemplate: CHECK_RUNS, dropResponse: true, when: (r) => !isAggregateRun(r.body as { name?: string }) });
      const first = await s.start();
      expect((await s.push(first)).status).toBe(200);
      await s.waitFor(() => s.github.requests.some((r) => r.dropped), 60_000, "the create whose answer is lost");
      first.kill("SIGKILL");
      await first.exited;

      await s.start();
      const completion = await s.waitFor(() => completionOf(s.patches()), 240_000, "the completion after the restart");
      expect(completion).toMatchObject({ status: "completed", conclusion: "success" });
      // One POST of the cell's run in all; the restart asked GitHub which runs exist for the commit, and found it.
      expect(s.creates({ accepted: false })).toHaveLength(1);
      expect(s.github.requests.filter((r) => r.pathTemplate === CHECK_RUNS_FOR_REF && r.status === 200)).toHaveLength(1);
      expect(s.cellRuns()).toHaveLength(1);
      expect(s.cellRuns()[0]?.fields).toMatchObject({ status: "completed", conclusion: "success" });
      expect(s.patches({ accepted: false }).filter((p) => p.conclusion !== undefined)).toHaveLength(1);
      // The build's aggregate "Pony CI" run: one in the end, completed once.
      await s.waitFor(() => s.aggregatePatches().some((p) => p.conclusion !== undefined), 60_000, "the aggregate's completion");
      expect(s.aggregateRuns()).toHaveLength(1);
      expect(s.aggregateRuns()[0]?.fields).toMatchObject({ status: "completed", conclusion: "success" });
      expect(s.aggregatePatches({ accepted: false }).filter((p) => p.conclusion !== undefined)).toHaveLength(1);
      expect(s.github.violations()).toEqual([]);
    } catch (error) {
      throw new Error(`${String(error)}\n${s.report()}`, { cause: error });
    }
  }, 420_000);
});

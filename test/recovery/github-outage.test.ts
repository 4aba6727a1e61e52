import { afterEach, describe, expect, it } from "@jest/globals";
import { openStore } from "../../src/store/open-store.js";
import { CHECK_RUN, CHECK_RUNS, CHECK_RUNS_FOR_REF, CONTENTS, TOKENS, type FakeGitHubRequest } from "../support/fake-github-server.js";
import { cellInProgress, completionOf, createRecoveryScenario, type RecoveryScenario } from "./support/recovery-scenario.js";

const isCompletion = (request: Pick<FakeGitHubRequest, "body">) => (request.body as { conclusion?: string } | undefined)?.conclusion !== undefined;

/**
 * Issue 5: GitHub failing while a cell finishes. The outbox retries the
 * completion, sends it exactly once, and keeps it across a crash.
 */
describe("GitHub down when a cell finishes", () => {
  let scenario: RecoveryScenario | undefined;
  afterEach(async () => {
    await scenario?.dispose();
    scenario = undefined;
  });

  it("502, then 200, to the completion: the completion arrives exactly once", async () => {
    scenario = await createRecoveryScenario({ name: "flaky" });
    const s = scenario;
    try {
      s.github.failNext({ method: "PATCH", pathTemplate: CHECK_RUN, times: 1, status: 502, when: isCompletion });
      const server = await s.start();
      expect((await s.push(server)).status).toBe(200);

      await s.waitFor(() => completionOf(s.patches()), 240_000, "the accepted completion");
      // Stopping drains the outbox: after the exit nothing more can arrive.
      server.kill("SIGTERM");
      expect((await server.exited).code).toBe(0);

      // The cell's run (not the aggregate "Pony CI"): 502 once, then 200 once.
      const [cellRun] = s.cellRuns();
      expect(s.cellRuns()).toHaveLength(1);
      const completions = s.github.requests.filter((r) => r.method === "PATCH" && r.pathTemplate === CHECK_RUN && r.params.check_run_id === String(cellRun?.id) && isCompletion(r));
      expect(completions.map((r) => r.status)).toEqual([502, 200]);
      expect(completions[1]?.body).toMatchObject({ status: "completed", conclusion: "success" });
      expect(cellRun?.fields).toMatchObject({ conclusion: "success" });
      expect(s.creates({ accepted: false })).toHaveLength(1);
      // The aggregate: created once, completed exactly once.
      expect(s.aggregateCreates({ accepted: false })).toHaveLength(1);
      expect(s.aggregatePatches({ accepted: false }).filter((p) => p.conclusion !== undefined)).toHaveLength(1);
      expect(s.aggregateRuns().map((r) => r.fields)).toMatchObject([{ status: "completed", conclusion: "success" }]);
      expect(s.github.violations()).toEqual([]);
    } catch (error) {
      throw new Error(`${String(error)}\n${s.report()}`, { cause: error });
    }
  }, 300_000);

  it("the server is killed while GitHub is down: the completion is sent after the restart, and the cell does not run again", async () => {
    scenario = await createRecoveryScenario({ name: "outage" });
    const s = scenario;
    try {
      const first = await s.start();
      expect((await s.push(first)).status).toBe(200);
      await s.waitFor(() => cellInProgress(s), 180_000, "the in_progress update");

      // GitHub goes down (every route answers 502) until the completion has failed once.
      for (const [method, pathTemplate] of [["POST", TOKENS], ["GET", CONTENTS], ["POST", CHECK_RUNS], ["PATCH", CHECK_RUN], ["GET", CHECK_RUNS_FOR_REF]] as const) {
        s.github.failNext({ method, pathTemplate, times: Infinity, status: 502 });
      }
      await s.waitFor(() => s.patches({ accepted: false }).some((p) => p.conclusion !== undefined), 120_000, "the cell's completion failing with 502");
      first.kill("SIGKILL");
      await first.exited;
      expect(completionOf(s.patches())).toBeUndefined();

      // GitHub is back; the server restarts on the same data directory.
      s.github.clearFailures();
      await s.start();
      const completion = await s.waitFor(() => completionOf(s.patches()), 60_000, "the completion after the restart");

      expect(completion).toMatchObject({ status: "completed", conclusion: "success" });
      expect(completion.output?.title).toMatch(/^4 passed in /);
      expect(s.creates({ accepted: false })).toHaveLength(1);
      // The cell had finished before the crash: it is not run (nor announced) again.
      expect(s.starts()).toHaveLength(1);
      expect(s.patches().filter((p) => p.conclusion !== undefined)).toHaveLength(1);
      await s.waitFor(() => s.aggregatePatches().some((p) => p.conclusion !== undefined), 60_000, "the aggregate's completion");
      expect(s.aggregateCreates({ accepted: false })).toHaveLength(1);
      // (its completion may have failed during the outage too: accepted once is what counts)
      expect(s.aggregatePatches().filter((p) => p.conclusion !== undefined)).toHaveLength(1);
      expect(s.aggregateRuns()[0]?.fields).toMatchObject({ status: "completed", conclusion: "success" });
      expect(s.patches().some((p) => p.output?.title === "Restarted")).toBe(false);
      expect(s.github.violations()).toEqual([]);

      await Promise.all(s.servers.map(async (server) => server.kill("SIGTERM")));
      await Promise.all(s.servers.map((server) => server.exited));
      const store = openStore({ dataDir: s.dataDir });
      try {
        const jobId = s.creates()[0]?.external_id ?? "";
        expect(store.getJob(jobId)).toMatchObject({ state: "finished", conclusion: "success", attempts: 1 });
      } finally {
        store.close();
      }
    } catch (error) {
      throw new Error(`${String(error)}\n${s.report()}`, { cause: error });
    }
  }, 300_000);
});

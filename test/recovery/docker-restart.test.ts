import { afterEach, describe, expect, it } from "@jest/globals";
import { openStore } from "../../src/store/open-store.js";
import { cellInProgress, completionOf, createRecoveryScenario, type RecoveryScenario } from "./support/recovery-scenario.js";
import { startSecondDockerDaemon, type SecondDockerDaemon } from "./support/second-docker-daemon.js";

/**
 * Issue 5: the Docker daemon restarts during a cell. Other test files use
 * the main daemon at the same time, so this test restarts a second, private
 * dockerd that only its own `ponyci serve` (DOCKER_HOST) talks to.
 */
describe("the Docker daemon restarts in the middle of a cell", () => {
  let scenario: RecoveryScenario | undefined;
  let daemon: SecondDockerDaemon | undefined;
  afterEach(async () => {
    await scenario?.dispose();
    await daemon?.dispose();
    scenario = undefined;
    daemon = undefined;
  });

  it("retries the cell as an infrastructure error and completes it as success", async () => {
    daemon = await startSecondDockerDaemon();
    const d = daemon;
    await d.loadImages(["ponyci/python:3.11"]);
    scenario = await createRecoveryScenario({ name: "dockerd", env: { DOCKER_HOST: d.host } });
    const s = scenario;
    try {
      const server = await s.start();
      expect((await s.push(server)).status).toBe(200);
      const jobId = (await s.waitFor(() => s.creates()[0], 60_000, "the check run's create")).external_id ?? "";
      // The first run in this daemon builds the cell's environment first.
      await s.waitFor(() => cellInProgress(s), 300_000, "the in_progress update");
      // Restart once a test has finished: before its signal handler is set, the harness (pid 1) ignores SIGTERM.
      await s.waitFor(() => s.testsUnderWay(jobId), 30_000, "the first test result inside the container");

      await d.restart();

      const completion = await s.waitFor(() => completionOf(s.patches()), 240_000, "the completion after the daemon restart");
      expect(completion).toMatchObject({ status: "completed", conclusion: "success" });
      expect(completion.output?.title).toMatch(/^4 passed in /);
      const retries = s.patches().filter((p) => /^Retrying \(attempt \d\) after an infrastructure error$/.test(p.output?.title ?? ""));
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(s.creates({ accepted: false })).toHaveLength(1);
      expect(s.github.violations()).toEqual([]);
      // Nothing left in the daemon: neither the stopped attempt's container nor the successful one's.
      expect(await s.containersOf(jobId)).toEqual([]);
      // The server lived through it: it was the same process all along.
      expect(server.running()).toBe(true);

      server.kill("SIGTERM");
      expect((await server.exited).code).toBe(0);
      const store = openStore({ dataDir: s.dataDir });
      try {
        const job = store.getJob(jobId);
        expect(job).toMatchObject({ state: "finished", conclusion: "success" });
        expect(job?.attempts).toBeGreaterThanOrEqual(2);
      } finally {
        store.close();
      }
    } catch (error) {
      throw new Error(`${String(error)}\n${s.report()}\n--- second dockerd ---\n${d.log()}`, { cause: error });
    }
  }, 600_000);
});

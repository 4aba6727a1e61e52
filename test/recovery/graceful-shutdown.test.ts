import { afterEach, describe, expect, it } from "@jest/globals";
import { openStore } from "../../src/store/open-store.js";
import { createEmbeddedQueue } from "../../src/queue/create-embedded-queue.js";
import { exitWithin } from "./support/ponyci-process.js";
import { cellInProgress, completionOf, createRecoveryScenario, type RecoveryScenario } from "./support/recovery-scenario.js";

/**
 * Issue 5: SIGTERM during a cell. With PONYCI_SHUTDOWN_GRACE=1 the cell
 * (about 8 s of tests) cannot finish in time: it is interrupted, goes back
 * to the queue, and the next server runs it to completion.
 */
describe("ponyci serve stopped with SIGTERM in the middle of a cell", () => {
  let scenario: RecoveryScenario | undefined;
  afterEach(async () => {
    await scenario?.dispose();
    scenario = undefined;
  });

  it("exits on its own after the grace period, puts the job back in the queue, and the next start completes it", async () => {
    scenario = await createRecoveryScenario({ name: "graceful" });
    const s = scenario;
    try {
      const first = await s.start({ PONYCI_SHUTDOWN_GRACE: "1" });
      expect((await s.push(first)).status).toBe(200);
      const jobId = (await s.waitFor(() => s.creates()[0], 60_000, "the check run's create")).external_id ?? "";
      await s.waitFor(() => cellInProgress(s), 180_000, "the in_progress update");
      await s.waitFor(async () => (await s.containersOf(jobId, { running: true })).length > 0, 30_000, "the running test container");

      first.kill("SIGTERM");
      // Bounded: a server that ignored the grace period (or hung on a handle) would not exit in this time.
      expect(await exitWithin(first, 25_000)).toEqual({ code: 0, signal: null });
      // The interrupted container was removed before the exit; nothing was reported as finished.
      expect(await s.containersOf(jobId)).toEqual([]);
      expect(completionOf(s.patches({ accepted: false }))).toBeUndefined();
      // …and the check run said why it stopped before the server went away.
      expect(s.patches().at(-1)).toMatchObject({ status: "queued", output: { title: "Interrupted: the server is restarting" } });

      const store = openStore({ dataDir: s.dataDir });
      try {
        expect(store.getJob(jobId)).toMatchObject({ state: "queued", attempts: 1 });
        expect(await createEmbeddedQueue({ store }).counts()).toEqual({ queued: 1, running: 0 });
      } finally {
        store.close();
      }

      const second = await s.start();
      const completion = await s.waitFor(() => completionOf(s.patches()), 180_000, "the completion after the restart");
      expect(completion).toMatchObject({ status: "completed", conclusion: "success" });
      expect(completion.output?.title).toMatch(/^4 passed in /);
      expect(s.creates({ accepted: false })).toHaveLength(1);
      expect(s.starts()).toHaveLength(2);
      expect(await s.containersOf(jobId)).toEqual([]);
      expect(s.github.violations()).toEqual([]);

      second.kill("SIGTERM");
      expect((await second.exited).code).toBe(0);
      const after = openStore({ dataDir: s.dataDir });
      try {
        expect(after.getJob(jobId)).toMatchObject({ state: "finished", conclusion: "success", attempts: 2 });
      } finally {
        after.close();
      }
    } catch (error) {
      throw new Error(`${String(error)}\n${s.report()}`, { cause: error });
    }
  }, 420_000);
});

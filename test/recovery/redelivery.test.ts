import { afterEach, describe, expect, it } from "@jest/globals";
import { openStore } from "../../src/store/open-store.js";
import { createRecoveryScenario, OWNER, type RecoveryScenario } from "./support/recovery-scenario.js";
import type { PonyCiProcess } from "./support/ponyci-process.js";
import { APP_ID, INSTALLATION_ID, postWebhook } from "../support/signed-webhooks.js";

/**
 * Issue 5: "a webhook delivery seen before (same X-GitHub-Delivery) is
 * ignored" — across a crash. GitHub redelivers a webhook when the server did
 * not answer (it was down): the redelivery reaches the *next* process.
 *
 * A re-run request (`check_run.rerequested`) is used because each one is a
 * new build: unlike a push, whose commit is deduplicated anyway, only the
 * delivery id can tell a redelivery from a second click on "Re-run". (The
 * in-process test in test/github/app-e2e.test.ts covers the same process.)
 */
describe("the same delivery before and after a crash", () => {
  let scenario: RecoveryScenario | undefined;
  afterEach(async () => {
    await scenario?.dispose();
    scenario = undefined;
  });

  it("a redelivered re-run request builds nothing after the restart; a new delivery of the same request does", async () => {
    scenario = await createRecoveryScenario({ name: "redelivered" });
    const s = scenario;
    const rerequest = (server: PonyCiProcess, jobId: string, delivery: string) =>
      postWebhook(
        server.port,
        "check_run",
        {
          action: "rerequested",
          check_run: { id: 1000, external_id: jobId, head_sha: s.repo.sha, app: { id: APP_ID } },
          repository: { id: 1, full_name: s.fullName, name: s.fullName.split("/")[1], clone_url: s.repo.dir, private: false, default_branch: "main", owner: { login: OWNER } },
          installation: { id: INSTALLATION_ID },
          sender: { login: "octocat", id: 1 },
        },
        { delivery },
      );
    try {
      const first = await s.start();
      expect((await s.push(first, "push-delivery")).status).toBe(200);
      const jobId = (await s.waitFor(() => s.creates()[0], 60_000, "the push build's check run")).external_id ?? "";

      expect((await rerequest(first, jobId, "rerun-delivery")).status).toBe(200);
      await s.waitFor(() => s.creates().length === 2, 60_000, "the re-run's check run");

      first.kill("SIGKILL");
      await first.exited;
      const second = await s.start();

      // GitHub redelivers both (the server went away before it could answer, as far as GitHub knows).
      expect((await rerequest(second, jobId, "rerun-delivery")).status).toBe(200);
      expect((await s.push(second, "push-delivery")).status).toBe(200);
      // A new delivery of the same request is a new click on "Re-run": it builds.
      expect((await rerequest(second, jobId, "another-rerun-delivery")).status).toBe(200);
      await s.waitFor(() => s.creates().length === 3, 60_000, "the second re-run's check run");

      second.kill("SIGKILL");
      await second.exited;
      const store = openStore({ dataDir: s.dataDir });
      try {
        expect(store.listBuilds().map((b) => b.event).sort()).toEqual(["push", "rerequested", "rerequested"]);
      } finally {
        store.close();
      }
      expect(s.creates({ accepted: false })).toHaveLength(3);
      expect(s.github.violations()).toEqual([]);
    } catch (error) {
      throw new Error(`${String(error)}\n${s.report()}`, { cause: error });
    }
  }, 300_000);
});

import { afterEach, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { LABEL_JOB, LABEL_SERVICE } from "../../runner/src/docker/labels.js";
import { completionOf, createRecoveryScenario, type RecoveryScenario } from "./support/recovery-scenario.js";

/**
 * Issue 13: `kill -9` the server while a cell runs beside its PostgreSQL
 * service. The service container outlives the server (nothing else could
 * remove it); the restarted server reaps it with the test container, runs
 * the cell again with a fresh service, and leaves no container behind.
 */
describe("ponyci serve killed with SIGKILL while a cell's database service runs", () => {
  let scenario: RecoveryScenario | undefined;
  afterEach(async () => {
    await scenario?.dispose();
    scenario = undefined;
  });

  const servicesOf = async (jobId: string) => {
    const { stdout } = await execa("docker", ["ps", "-a", "-q", "--filter", `label=${LABEL_JOB}=${jobId}`, "--filter", `label=${LABEL_SERVICE}=postgres`]);
    return stdout.split("\n").filter(Boolean);
  };

  it("the dead server's service container is reaped, the cell passes after the restart, nothing is left", async () => {
    scenario = await createRecoveryScenario({ name: "killed-service", fixture: "django-slow-postgres" });
    const s = scenario;
    const first = await s.start();
    expect((await s.push(first, "delivery-killed-service-1")).status).toBe(200);
    const created = await s.waitFor(() => s.creates()[0], 60_000, "the check run's create");
    const jobId = created.external_id ?? "";
    await s.waitFor(() => s.testsUnderWay(jobId), 240_000, "tests running beside the service");
    const before = await servicesOf(jobId);
    expect(before).toHaveLength(1);

    first.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    expect(await servicesOf(jobId)).toEqual(before);

    const second = await s.start();
    const completion = await s.waitFor(() => completionOf(s.patches()), 240_000, "the completion after the restart");
    expect(completion).toMatchObject({ status: "completed", conclusion: "success" });
    expect(completion.output?.title).toMatch(/^4 passed in /);
    expect(await servicesOf(jobId)).toEqual([]);
    expect(await s.containersOf(jobId)).toEqual([]);
    second.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
  });
});

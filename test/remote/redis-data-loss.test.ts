/**
 * Redis as a recoverable dependency (issue 27): `ponyci serve` over a real
 * redis-server of this file, with its own runner (scripted cells), under a
 * key prefix of its own. FLUSHALL in the middle of a build: the server sees
 * its sentinel key gone, stops what it ran, queues every unfinished cell
 * again from the store, and each cell concludes once.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import { fakeGitHub, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { createSteeredRunner } from "../support/steered-runner.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import type { RunningServer } from "../../src/server/start-server.js";

describe("Redis loses its data mid-build", () => {
  let redis: RedisServer;
  let server: RunningServer;
  let client: Redis;
  const steered = createSteeredRunner();
  const finished = new Map<string, number>();
  const restarted: string[] = [];

  let repo: Awaited<ReturnType<typeof createFixtureRepo>>;
  beforeAll(async () => {
    repo = await createFixtureRepo("django-pass");
    redis = await startRedisServer();
    client = new Redis(redis.url);
    fakeGitHub();
    server = await startTestServer({
      runner: steered.runner,
      settings: testServerSettings({ PONYCI_REDIS_URL: redis.url, PONYCI_REDIS_PREFIX: "install-a", PONYCI_RUNNER_ID: "loss-host", PONYCI_RUNNER_PYTHONS: "3.9,3.10,3.11,3.12,3.13,3.14", PONYCI_CONCURRENCY: "1", PONYCI_RUNNER_REPO_URLS: repo.dir }),
      extraListeners: () => [
        {
          finished: (event) => void finished.set(event.job.id, (finished.get(event.job.id) ?? 0) + 1),
          restarted: (_build, job) => void restarted.push(job.id),
        },
      ],
    });
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 500 });
    await client?.quit();
    await redis?.remove();
  });

  it("queues every unfinished cell again from the store, and each concludes once", async () => {
    const submitted = server.ponyci.builds.submit({ source: "bridge", repo: { name: "data-loss", cloneUrl: repo.dir, visibility: "public" }, sha: repo.sha, branch: "main", event: "post-receive" });
    await submitted?.planned;
    const buildId = submitted?.build.id ?? 0;
    const jobs = server.ponyci.store.listJobs(buildId);
    expect(jobs.length).toBeGreaterThan(1);
    const first = await waitFor(() => steered.running()[0], 60_000, "a cell running");

    // Every key of this installation is under its prefix: another installation can share the Redis.
    const keys = await client.keys("*");
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !key.startsWith("install-a:") && !key.startsWith("install-a-queue:"))).toEqual([]);

    await client.flushall();

    // The running cell is stopped and queued again (its check run says "restarted"); the waiting ones are queued again.
    await waitFor(() => restarted.includes(first.jobId) || undefined, 60_000, "the running cell to be queued again");
    await waitFor(
      () => {
        for (const cell of steered.running()) cell.finish();
        return server.ponyci.store.listJobs(buildId).every((job) => job.state === "finished") || undefined;
      },
      90_000,
      "every cell to conclude",
    );
    const after = server.ponyci.store.listJobs(buildId);
    expect(after.map((job) => job.conclusion)).toEqual(after.map(() => "success"));
    expect(Object.fromEntries(after.map((job) => [job.id, finished.get(job.id)]))).toEqual(Object.fromEntries(after.map((job) => [job.id, 1])));
    expect(server.ponyci.store.getJob(first.jobId)?.attempts).toBeGreaterThanOrEqual(2);
  }, 180_000);
});

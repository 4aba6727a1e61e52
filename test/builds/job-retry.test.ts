import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import Docker from "dockerode";
import path from "node:path";
import { createBuildService } from "../../src/builds/create-build-service.js";
import { createJobProcessor } from "../../src/builds/create-job-processor.js";
import type { CellFinished } from "../../src/builds/build-listener.js";
import { createEmbeddedQueue } from "../../src/queue/create-embedded-queue.js";
import type { CellJobPayload } from "../../src/builds/create-build-service.js";
import type { JobQueue } from "../../src/queue/job-queue.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { createCellRunner } from "../../runner/src/cell/run-cell.js";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import { createEnvironmentBuilder } from "../../runner/src/environment/create-environment-builder.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { TEST_LIMITS } from "../support/test-runner.js";
import { makeTempDir } from "../store/temp-dir.js";

/**
 * One retry owner: the queue. A real cell run against a Docker daemon that is
 * not there fails on infrastructure every time; the job runs exactly
 * `maxAttempts` times, each retry is told, and the last failure is reported
 * once, with the run's log.
 */
describe("a cell failing on infrastructure", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let queue: JobQueue<CellJobPayload>;
  const retries: Array<[string, number]> = [];
  const finished: CellFinished[] = [];

  beforeAll(() => {
    temp = makeTempDir();
    store = openStore({ dataDir: temp.dir });
    queue = createEmbeddedQueue<CellJobPayload>({ store, concurrency: 1, maxAttempts: 3, backoff: () => 20, pollMs: 50 });
  });
  afterAll(async () => {
    await queue.stop({ graceMs: 1_000 });
    store.close();
    temp.remove();
  });

  it("runs exactly maxAttempts times, then reports the infrastructure error once", async () => {
    const repo = await createFixtureRepo("django-pass");
    const docker = new Docker({ socketPath: path.join(temp.dir, "no-docker.sock") });
    const runner = createCellRunner({
      docker,
      checkout: createCheckout({ cacheDir: path.join(temp.dir, "git") }),
      environments: createEnvironmentBuilder({ docker, cacheDir: path.join(temp.dir, "env") }),
      workDir: path.join(temp.dir, "work"),
      limits: TEST_LIMITS,
    });
    const listener = {
      retrying: (_build: unknown, _job: unknown, reason: string, attempt: number) => void retries.push([reason, attempt]),
      finished: (event: CellFinished) => void finished.push(event),
    };
    const jobs = createJobProcessor({ store, runner, listeners: [listener] });
    const builds = createBuildService({
      store,
      queue,
      listeners: [],
      readFiles: async (_request, paths) => new Map(paths.map((p) => [p, p === ".github/ponyci.yml" ? 'python: ["3.11"]\ndjango: ["5.2"]\n' : undefined])),
    });
    queue.start(jobs.process, jobs.hooks);
    const submitted = builds.submit({ source: "bridge", repo: { name: "pony/infra", cloneUrl: repo.dir, visibility: "private" }, sha: repo.sha, event: "push" });
    await submitted?.planned;

    const deadline = Date.now() + 60_000;
    while (finished.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more may come

    expect(retries.map(([, attempt]) => attempt)).toEqual([2, 3]);
    for (const [reason] of retries) expect(reason).toMatch(/^Infrastructure error: /);
    expect(finished).toHaveLength(1);
    const [last] = finished;
    expect(last?.finished.conclusion).toBe("error");
    expect(last?.finished.error?.message).toMatch(/^Infrastructure error: /);
    expect(last?.logTail.some((line) => line.startsWith("[ponyci] Checking out"))).toBe(true);
    const [job] = store.listJobs(submitted?.build.id ?? 0);
    expect(job).toMatchObject({ state: "finished", conclusion: "error", attempts: 3, error: { kind: "infrastructure" } });
    expect(await queue.counts()).toEqual({ queued: 0, running: 0 });
  }, 90_000);
});

import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createBridgeHandler } from "../../src/bridge/create-bridge-handler.js";
import type { PrivateRepo } from "../../src/bridge/private-repo.js";
import { createBuildService, type BuildService, type CellJobPayload } from "../../src/builds/create-build-service.js";
import { createDownstreamTrigger, type DownstreamTrigger } from "../../src/bridge/create-downstream-trigger.js";
import { createJobProcessor } from "../../src/builds/create-job-processor.js";
import { createEmbeddedQueue } from "../../src/queue/create-embedded-queue.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import type { BuildRecord } from "../../src/store/build-rows.js";
import type { Clock } from "../../src/domain/clock.js";
import { createCellRunner } from "../../runner/src/cell/run-cell.js";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createEnvironmentBuilder } from "../../runner/src/environment/create-environment-builder.js";
import { resolveBaseImage } from "../../runner/src/environment/resolve-base-image.js";
import { createOutbox } from "../../src/outbox/create-outbox.js";
import type { Outbox } from "../../src/outbox/outbox.js";
import { createNotifier, type Notifier } from "../../src/notify/create-notifier.js";
import { createNotificationSender, type NotificationSenderOptions } from "../../src/notify/create-notification-sender.js";
import { NOTIFY_KEY_PREFIX, NOTIFY_TARGET } from "../../src/notify/notification-write.js";
import { createFailureAnalyst } from "../../src/history/create-failure-analyst.js";
import type { BuildRequest } from "../../src/domain/build-request.js";
import type { BuildListener } from "../../src/builds/build-listener.js";
import { createForgeStatusReporter } from "../../src/forge/create-forge-status-reporter.js";
import { createForgeStatusSender } from "../../src/forge/create-forge-status-sender.js";
import { FORGE_KEY_PREFIX, FORGE_TARGET } from "../../src/forge/forge-status-write.js";
import { TEST_DATA_DIR, TEST_LIMITS } from "../support/test-runner.js";

export interface BridgeTestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  dataDir: string;
  store: Store;
  builds: BuildService;
  trigger: DownstreamTrigger;
  /** With `notify`: the notifications' outbox (lane notify:, started) and the notifier listening to cells. */
  notifications?: Outbox;
  notifier?: Notifier;
  /** With `forges`: the forges' outbox (lane forge:, started). */
  forges?: Outbox;
  /** Polls the store until the build has finished (every cell ended). */
  waitForBuild(id: number, timeoutMs?: number): Promise<BuildRecord>;
  close(): Promise<void>;
}

/**
 * The server as `ponyci serve` composes it, minus GitHub: the bridge handler
 * on a real HTTP server (127.0.0.1), the real store in a temporary data
 * directory, the build service, and — with `run` — the embedded queue
 * running cells in Docker through the real runner, with the downstream
 * trigger listening. Without `run` jobs are queued and never taken.
 */
export async function startBridgeServer(options: {
  repos: PrivateRepo[];
  run: boolean;
  clock?: Clock;
  /** Notifications as `ponyci serve` wires them (sender, outbox lane, notifier), with the failure analyst's buckets. */
  notify?: { sender: NotificationSenderOptions; publicUrl: string; backoff?: (attempt: number) => number; authors?: boolean };
  /** Commit statuses on the repositories' forges (`forge:` with a token), as serve wires them. */
  forges?: { publicUrl: string; backoff?: (attempt: number) => number };
  /** The dashboard's base URL the bridge answers with (each queued build's page). */
  publicUrl?: string;
}): Promise<BridgeTestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ponyci-bridge-test-"));
  const store = openStore({ dataDir, clock: options.clock });
  const runner = createIsolatedRunner(dataDir);
  const queue = createEmbeddedQueue<CellJobPayload>({ store, concurrency: 2 });
  // Reporters hear planning (the build service) and cells (the job processor).
  const reporters: BuildListener[] = [];
  let forges: Outbox | undefined;
  if (options.forges) {
    forges = createOutbox({ store, send: createForgeStatusSender({ repos: options.repos, timeoutMs: 2_000 }), backoff: options.forges.backoff, lane: { only: FORGE_KEY_PREFIX }, target: FORGE_TARGET });
    reporters.push(createForgeStatusReporter({ outbox: forges, store, repos: options.repos, publicUrl: options.forges.publicUrl }));
    forges.start();
  }
  const builds = createBuildService({
    store,
    queue,
    readFiles: (request, paths) => runner.checkout.readFiles({ url: request.repo.cloneUrl, sha: request.sha, fetchRefs: request.fetchRefs }, paths),
    listeners: reporters,
    readCommit: async (request) => {
      const commit = await runner.checkout.readCommit({ url: request.repo.cloneUrl, sha: request.sha });
      return { message: commit.message, author: commit.authorName };
    },
  });
  // The trigger hears cells finish (the processor's listeners) and submits through the same service.
  const trigger = createDownstreamTrigger({ projects: options.repos, builds, store, checkout: runner.checkout });
  let notifications: Outbox | undefined;
  let notifier: Notifier | undefined;
  if (options.notify) {
    notifications = createOutbox({ store, send: createNotificationSender({ ...options.notify.sender, store }), backoff: options.notify.backoff, maxAttempts: 12, lane: { only: NOTIFY_KEY_PREFIX }, target: NOTIFY_TARGET });
    notifier = createNotifier({
      store,
      outbox: notifications,
      publicUrl: options.notify.publicUrl,
      privateRepos: options.repos,
      authorOf: options.notify.authors ? async (build) => (await runner.checkout.readCommit({ url: (build.trigger.request as BuildRequest).repo.cloneUrl, sha: build.sha })).authorEmail : undefined,
    });
    notifications.start();
  }
  if (options.run) {
    const analyst = options.notify ? createFailureAnalyst({ store }) : undefined;
    const jobs = createJobProcessor({ store, runner: runner.cells, listeners: [trigger, ...(notifier ? [notifier] : []), ...reporters], analyst });
    queue.start(jobs.process, jobs.hooks);
  }
  const handler = createBridgeHandler({ repos: options.repos, store, builds, clock: options.clock, publicUrl: options.publicUrl });
  const server: Server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404, { "Content-Type": "text/plain" });
        res.end("not found\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the test server has no port");

  return {
    url: `http://127.0.0.1:${address.port}`,
    dataDir,
    store,
    builds,
    trigger,
    notifications,
    notifier,
    forges,
    async waitForBuild(id, timeoutMs = 240_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const build = store.getBuild(id);
        if (build && build.planState !== "pending" && build.status.state === "finished") return build;
        if (Date.now() > deadline) throw new Error(`build #${id} did not finish in ${timeoutMs} ms: ${JSON.stringify(build?.status)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.stop({ graceMs: 1_000, abortGraceMs: 5_000 });
      await trigger.idle();
      await notifications?.stop();
      await forges?.stop();
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `createTestRunner()`'s caches (git mirrors, environments: shared by every
 * test process) with job workspaces in this server's own data directory:
 * job ids ("<build>-<seq>") are unique per store only, and test files run in
 * parallel, each with its own store.
 */
function createIsolatedRunner(dataDir: string) {
  const docker = createDocker();
  const checkout = createCheckout({ cacheDir: path.join(TEST_DATA_DIR, "git") });
  const environments = createEnvironmentBuilder({
    docker,
    cacheDir: path.join(TEST_DATA_DIR, "environments"),
    baseImage: (python) => resolveBaseImage(docker, "auto", python),
  });
  const cells = createCellRunner({ docker, checkout, environments, workDir: path.join(dataDir, "work"), limits: { ...TEST_LIMITS } });
  return { checkout, cells };
}

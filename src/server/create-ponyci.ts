import path from "node:path";
import { delay } from "../util/delay.js";
import type { Settings } from "../settings/load-settings.js";
import type { Logger } from "../domain/logger.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { createEmbeddedQueue } from "../queue/create-embedded-queue.js";
import type { JobQueue, RecoveredJob } from "../queue/job-queue.js";
import { createOutbox, type OutboxOptions } from "../outbox/create-outbox.js";
import type { Outbox, SendWrite } from "../outbox/outbox.js";
import { NOTIFY_KEY_PREFIX, NOTIFY_TARGET } from "../notify/notification-write.js";
import { FORGE_KEY_PREFIX, FORGE_TARGET } from "../forge/forge-status-write.js";
import { planningFileLimit } from "../builds/plan-from-repo-files.js";
import { createBuildService, type BuildService, type CellJobPayload, type ReadRepoFiles } from "../builds/create-build-service.js";
import { createJobProcessor } from "../builds/create-job-processor.js";
import { fanOut, type BuildListener } from "../builds/build-listener.js";
import type { BuildRequest } from "../domain/build-request.js";
import type { BuildRecord } from "../store/build-rows.js";
import { createLocalRunner, type LocalRunner } from "../../runner/src/create-local-runner.js";
import { reapContainers } from "../../runner/src/docker/reap-containers.js";
import { createGarbageCollector } from "../gc/create-garbage-collector.js";
import { createStoreSources } from "../gc/create-store-sources.js";
import { createRunnerSources } from "../../runner/src/gc/create-runner-sources.js";
import type { Clock } from "../domain/clock.js";
import type { Metrics } from "../metrics/metrics.js";
import { meterCellRunner } from "../metrics/meter-cell-runner.js";
import { createFailureAnalyst } from "../history/create-failure-analyst.js";
import { createBullmqQueue } from "../queue/create-bullmq-queue.js";
import { createRemoteCellRunner, type RemoteCellRunner, type ScaleOutMetrics } from "../remote/create-remote-cell-runner.js";
import { createRunnerWorker, type RunnerWorker } from "../../runner/src/remote/create-runner-worker.js";
import { createShardingCellRunner } from "../shard/create-sharding-cell-runner.js";
import { countRunnersFor } from "../shard/count-runners-for.js";
import { listInstallationPythons } from "../../runner/src/images/list-obtainable-pythons.js";
import { listPlanningPythons } from "./list-planning-pythons.js";
import { djangoSupportFromSettings } from "./django-support-from-settings.js";
import { checkEvictionPolicy } from "../queue/check-eviction-policy.js";
import { createRedisSeal } from "../domain/redis-seal.js";
import { allowRepoUrls } from "../domain/parse-repo-url.js";

export interface PonyCiOptions {
  settings: Settings;
  log: Logger;
  /** Sends GitHub writes (the outbox's send); without it GitHub writes wait in the outbox. */
  send?: SendWrite;
  /** Sends notifications (email, chat, webhooks): the `notify:` lane's outbox send. */
  notifySend?: SendWrite;
  /** Sets commit statuses on private repositories' forges (Gitea, Forgejo, GitLab): the `forge:` lane's send. */
  forgeSend?: SendWrite;
  /** Reads planning files for GitHub builds (contents API); bridge/CLI builds read the git mirror. */
  readGitHubFiles?: ReadRepoFiles;
  /** Installation token for cloning a GitHub repository over https. */
  tokenFor?: (build: BuildRecord, request: BuildRequest) => Promise<string | undefined>;
  /** Reporters and triggers (check runs, downstream builds, dashboards). */
  listeners?: (parts: { outbox: Outbox; notifications: Outbox; forges: Outbox; builds: () => BuildService; store: Store; runner: LocalRunner }) => BuildListener[];
  /** Tests use a smaller lease and faster retries. */
  queueOptions?: { leaseMs?: number; maxAttempts?: number; backoff?: (attempt: number) => number };
  outboxBackoff?: (attempt: number) => number;
  clock?: Clock;
  /** Default: a runner for this Docker host from the settings. */
  runner?: LocalRunner;
  progressIntervalMs?: number;
  /** Records environment builds, cache hits and phases, and scale-out queue waits (the other parts record through listeners and wrappers). */
  metrics?: Metrics;
  /** With Redis: the lock runners take on a cell (lost-runner detection time). Default 10 s. */
  runnerLockMs?: number;
  /** With Redis: local repository urls (the bridge's) this host's own runner may check out besides network urls. */
  localRepoUrls?: readonly string[];
}

export interface PonyCi {
  store: Store;
  queue: JobQueue<CellJobPayload>;
  outbox: Outbox;
  /** The notifications' outbox (keys `notify:…`): its own dispatcher, so a mail server that hangs never delays GitHub. */
  notifications: Outbox;
  /** The forges' outbox (keys `forge:…`): commit statuses on Gitea, Forgejo, GitLab. */
  forges: Outbox;
  builds: BuildService;
  runner: LocalRunner;
  /** With Redis (PONYCI_REDIS_URL): runners, what they run, queue waits (for /metrics). */
  scaleOut?: { metrics(): Promise<ScaleOutMetrics> };
  /**
   * Start-up, in order: reap containers of dead processes, take back jobs a
   * dead process was running (they run again), start the queue and the
   * outbox (writes left unsent are sent now), plan builds recorded before a
   * crash but never planned.
   */
  start(): Promise<void>;
  /** Graceful shutdown: no new work; running cells get `graceMs`, then go back to the queue. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** The app server's parts (DESIGN.md data flow), wired from the settings. Opens the store; starts nothing. */
export function createPonyCi(options: PonyCiOptions): PonyCi {
  const { settings, log } = options;
  const store = openStore({ dataDir: settings.dataDir, log, logLimitBytes: settings.cell.logLimitBytes, clock: options.clock });
  // Environment builds on this host report their phases to /metrics (remote runners' builds count only as built/cached).
  const runner = options.runner ?? createLocalRunner({ ...settings, environmentMetrics: options.metrics?.environment }, log);
  const redisUrl = settings.queue.kind === "redis" ? settings.queue.url : undefined;
  const redisPrefix = settings.queue.kind === "redis" ? settings.queue.prefix : undefined;
  // With Redis the server's queue only supervises cells that run on runners: many at once is cheap.
  const queue: JobQueue<CellJobPayload> = redisUrl
    ? createBullmqQueue<CellJobPayload>({ url: redisUrl, prefix: redisPrefix, concurrency: 256, log, lockMs: options.queueOptions?.leaseMs, maxAttempts: options.queueOptions?.maxAttempts, backoff: options.queueOptions?.backoff })
    : createEmbeddedQueue<CellJobPayload>({
        store,
        concurrency: settings.concurrency,
        log,
        clock: options.clock,
        leaseMs: options.queueOptions?.leaseMs,
        maxAttempts: options.queueOptions?.maxAttempts,
        backoff: options.queueOptions?.backoff,
      });
  // Three lanes of the one outbox table: GitHub writes, notifications, forge statuses.
  const outboxLane = (lane: Pick<OutboxOptions, "send" | "lane" | "maxAttempts" | "target">) => createOutbox({ store, log, clock: options.clock, backoff: options.outboxBackoff, ...lane });
  const outbox = outboxLane({
    send: options.send ?? (async () => ({ status: "retry", reason: "no GitHub connection configured", retryAfterMs: 60_000 })),
    lane: { except: [NOTIFY_KEY_PREFIX, FORGE_KEY_PREFIX] },
  });
  const notifications = outboxLane({
    send: options.notifySend ?? (async () => ({ status: "rejected", reason: "notifications are not configured on this server" })),
    maxAttempts: 12,
    lane: { only: NOTIFY_KEY_PREFIX },
    target: NOTIFY_TARGET,
  });
  const forges = outboxLane({
    send: options.forgeSend ?? (async () => ({ status: "rejected", reason: "no forge is configured on this server" })),
    lane: { only: FORGE_KEY_PREFIX },
    target: FORGE_TARGET,
  });
  // Listeners may submit builds (downstream triggers): they reach the service once it exists.
  const late: { builds?: BuildService; remote?: RemoteCellRunner } = {};
  const listeners = options.listeners?.({ outbox, notifications, forges, builds: () => late.builds as BuildService, store, runner }) ?? [];
  // Caches stay within PONYCI_DISK_BUDGET: collected periodically and soon after a cell finished.
  const gc = createGarbageCollector({ sources: [...createRunnerSources({ docker: runner.docker, dataDir: settings.dataDir, toolchainImages: true }), ...createStoreSources(store)], budgetBytes: settings.diskBudgetBytes, log });
  let stopGc: (() => void) | undefined;
  listeners.push({ finished: () => gc.poke() });
  const readMirror: ReadRepoFiles = (request, paths) =>
    runner.checkout.readFiles({ url: request.repo.cloneUrl, sha: request.sha, fetchRefs: request.fetchRefs }, paths, { maxBytes: planningFileLimit });
  // This host's Pythons (its base images and those it adds on a cell's first need), with every live runner's.
  const localInstallation = () => listInstallationPythons({ docker: runner.docker, imagesCache: path.join(settings.dataDir, "images"), pythonImages: settings.pythonImages });
  const planningPythons = () =>
    listPlanningPythons({
      local: !late.remote || settings.localRunner ? localInstallation : undefined,
      override: settings.runner.pythons,
      runners: late.remote ? async () => (await (late.remote as RemoteCellRunner).metrics()).runners.map((status) => status.pythons) : undefined,
      anyVersion: settings.baseImage !== "auto",
    });
  const builds = createBuildService({
    store,
    queue,
    listeners,
    log,
    maxCells: settings.maxCells,
    djangoSupport: djangoSupportFromSettings(settings, log),
    // What the installation has: this host's base images, and with Redis every live runner's advertised Pythons.
    availablePython: async () => (await planningPythons()).available,
    // Of those, what has an image already: a repository naming no Python gets these (remote runners' count as such).
    installedPython: async () => (await planningPythons()).installed,
    readCommit: async (request) => {
      if (request.source === "github") return undefined;
      const commit = await runner.checkout.readCommit({ url: request.repo.cloneUrl, sha: request.sha, fetchRefs: request.fetchRefs });
      return { message: commit.message, author: commit.authorName };
    },
    readFiles: (request, paths) => (request.source === "github" && options.readGitHubFiles ? options.readGitHubFiles(request, paths) : readMirror(request, paths)),
  });
  late.builds = builds;
  const analyst = createFailureAnalyst({ store, clock: options.clock });
  const remote: RemoteCellRunner | undefined = redisUrl
    ? createRemoteCellRunner({
        url: redisUrl,
        prefix: redisPrefix,
        seal: createRedisSeal(settings.redisSigningKey ?? ""),
        log,
        lockMs: options.runnerLockMs,
        metrics: options.metrics,
        routeOf: (spec) => {
          const job = store.getJob(spec.shard?.cellJobId ?? spec.jobId);
          const request = job ? store.getBuild(job.buildId)?.trigger.request : undefined;
          return { repo: request?.repo.name ?? "?", pullRequest: request?.prNumber !== undefined, labels: [] };
        },
      })
    : undefined;
  late.remote = remote;
  let localWorker: RunnerWorker | undefined;
  // With runners, a big cell is split across them by its recorded timings (src/shard).
  const cellRunner = remote
    ? createShardingCellRunner({
        inner: remote,
        runnersFor: async (spec) => countRunnersFor((await remote.metrics()).runners, spec.cell),
        minDurationMs: settings.shard.minSec * 1000,
        maxShards: settings.shard.max,
        log,
      })
    : runner.cells;
  const cells = options.metrics ? meterCellRunner(cellRunner, options.metrics) : cellRunner;
  const jobs = createJobProcessor({ store, runner: cells, listeners, tokenFor: options.tokenFor, log, progressIntervalMs: options.progressIntervalMs, clock: options.clock, analyst });
  const notify = fanOut(listeners, (error, hook) => log.error({ err: error, hook }, "a build listener failed"));
  let started = false;

  /**
   * The one job recovery (at start-up, and while running: BullMQ's stalled
   * check, the embedded queue's heartbeat): a job a dead process held runs
   * again, its check run saying so, or ends as an infrastructure error
   * (`gaveUp`) once its attempts are spent. Jobs the store has finished or
   * cancelled stay as they are.
   */
  const takeBack = (recovered: readonly RecoveredJob<CellJobPayload>[], gaveUp: string) => {
    for (const { id, payload, requeued } of recovered) {
      const job = store.getJob(payload.jobId ?? id);
      const build = job ? store.getBuild(job.buildId) : undefined;
      if (!job || !build || job.state === "finished" || job.state === "cancelled") continue;
      if (requeued) {
        store.recordJobRequeued(job.id);
        notify.restarted(build, job);
      } else {
        jobs.finishAsInfrastructureError(job.id, gaveUp);
      }
    }
  };

  return {
    store,
    queue,
    outbox,
    notifications,
    forges,
    builds,
    runner,
    scaleOut: remote,
    async start() {
      // 0. A Redis that evicts any key would drop queued cells: refused (allkeys-*), or a warning.
      if (redisUrl) await checkEvictionPolicy({ url: redisUrl, log });
      // 1. Containers of dead processes.
      const reaped = await reapContainers(runner.docker).catch((error) => {
        log.warn({ err: error }, "could not list leftover containers (is Docker running?)");
        return [];
      });
      if (reaped.length > 0) log.info({ count: reaped.length }, "removed containers left by a dead process");
      // 2. Jobs of dead processes run again, or end as infrastructure errors.
      takeBack(await queue.recover(), "the server stopped while this cell ran, too many times");
      // 3. Scale-out (Redis): events from runners, and this host's own runner unless PONYCI_LOCAL_RUNNER=0.
      if (remote && redisUrl) {
        await remote.start();
        if (settings.localRunner) {
          const pythons = (await listPlanningPythons({ local: localInstallation, override: settings.runner.pythons })).available;
          localWorker = createRunnerWorker({ url: redisUrl, prefix: redisPrefix, seal: createRedisSeal(settings.redisSigningKey ?? ""), allowUrl: allowRepoUrls([...settings.runner.repoUrls, ...(options.localRepoUrls ?? [])]), id: settings.runner.id, labels: settings.runner.labels, pythons, concurrency: settings.concurrency, cells: runner.cells, log, lockMs: options.runnerLockMs });
          await localWorker.start();
        }
      }
      // 4. Queue and outbox.
      queue.start(jobs.process, {
        ...jobs.hooks,
        // Jobs of a dead process taken back while this one runs (BullMQ's stalled check; the embedded queue's heartbeat).
        onRecovered: (recovered) => takeBack(recovered, "the process running this cell died too many times"),
        // Redis lost its data: the store is the record; every unfinished cell is queued again (its check run says so).
        onDataLost: async () => {
          const unfinished = store.listUnfinishedJobs();
          for (const job of unfinished) {
            const build = store.getBuild(job.buildId);
            if (!build) continue;
            if (job.state === "running") {
              store.recordJobRequeued(job.id);
              notify.restarted(build, job);
            }
            await queue.enqueue(job.id, { jobId: job.id });
          }
          log.warn({ count: unfinished.length }, "Redis lost its data: queued the unfinished cells again from the store");
        },
      });
      outbox.start();
      notifications.start();
      forges.start();
      stopGc = gc.start();
      started = true;
      // 5. Builds recorded but not planned.
      builds.planPending().catch((error) => log.error({ err: error }, "could not list the builds left to plan"));
    },
    async stop({ graceMs = 30_000 } = {}) {
      stopGc?.();
      if (started) {
        const putBack = await queue.stop({ graceMs });
        for (const id of putBack) {
          store.recordJobRequeued(id);
          const job = store.getJob(id);
          const build = job ? store.getBuild(job.buildId) : undefined;
          // Told before the outbox drains below, so the check run does not sit "in progress" while the server is away.
          if (job && build) notify.interrupted(build, job);
        }
        await localWorker?.stop({ graceMs: 1_000 });
        await remote?.stop();
        await Promise.race([outbox.drain().catch(() => undefined), delay(5_000)]);
        await outbox.stop();
        await notifications.stop();
        await forges.stop();
      } else {
        // start() failed or never ran (a refused Redis): close the connections made at creation, or the process would not exit.
        await queue.stop({ graceMs: 0 }).catch(() => undefined);
        await remote?.stop().catch(() => undefined);
      }
      // Background byte-compiles are stopped, not awaited: the next start compiles what is left.
      await runner.environments?.close().catch((error: unknown) => log.warn({ err: error }, "could not stop the environment builder's background work"));
      store.close();
    },
  };
}


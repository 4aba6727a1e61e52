import path from "node:path";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import type { Settings } from "../settings/load-settings.js";
import type { Logger } from "../domain/logger.js";
import { createLocalRunner } from "../../runner/src/create-local-runner.js";
import { claimRunnerId } from "../../runner/src/docker/labels.js";
import { reapContainers } from "../../runner/src/docker/reap-containers.js";
import { createRunnerWorker, type RunnerWorker } from "../../runner/src/remote/create-runner-worker.js";
import { createRedisSeal } from "../domain/redis-seal.js";
import { allowRepoUrls } from "../domain/parse-repo-url.js";
import { listInstallationPythons } from "../../runner/src/images/list-obtainable-pythons.js";
import { listPlanningPythons } from "../server/list-planning-pythons.js";
import { createRunnerHealth, type RunnerHealth } from "../../runner/src/remote/create-runner-health.js";
import type { CellRunner } from "../domain/cell-runner.js";
import { closeRedis } from "../util/close-redis.js";
import { createGarbageCollector } from "../gc/create-garbage-collector.js";
import { createRunnerSources } from "../../runner/src/gc/create-runner-sources.js";
import { createMetrics } from "../metrics/create-metrics.js";
import { registerRunnerGauges } from "../metrics/register-runner-gauges.js";
import { createOpsHandler } from "../web/create-ops-handler.js";

export interface RunnerHost {
  worker: RunnerWorker;
  health: RunnerHealth;
  /** The port of /healthz and /metrics (PONYCI_RUNNER_PORT; 0 picks a free one), when served. */
  port?: number;
  /** Drain (see RunnerWorker.stop), then close the HTTP endpoint, the garbage collector and Redis. */
  stop(options: { graceMs: number }): Promise<void>;
}

/**
 * A runner host, started: numbered steps.
 * 1. label this process's containers with the runner id, and remove those a
 *    dead runner of the same id left (kill -9, reboot, a restarted container);
 * 2. advertise the Pythons whose base images this host has
 *    (PONYCI_RUNNER_PYTHONS overrides) and PONYCI_RUNNER_LABELS;
 * 3. watch Docker and the base images: take no cells while they fail;
 * 4. take cells up to PONYCI_CONCURRENCY;
 * 5. keep the caches within PONYCI_DISK_BUDGET, like the server;
 * 6. serve /healthz and /metrics on PONYCI_RUNNER_PORT when set.
 */
export async function startRunnerHost(deps: { settings: Settings; log: Logger; healthIntervalMs?: number }): Promise<RunnerHost> {
  const { settings, log } = deps;
  if (settings.queue.kind !== "redis") throw new Error("ponyci runner needs PONYCI_REDIS_URL: the Redis of the Pony CI server it works for (e.g. redis://ci.example.com:6379)");
  const redisUrl = settings.queue.url;
  const metrics = createMetrics();
  // 1. Leftovers.
  claimRunnerId(settings.runner.id);
  const local = createLocalRunner({ ...settings, environmentMetrics: metrics.environment }, log);
  const reaped = await reapContainers(local.docker, { runnerId: settings.runner.id });
  if (reaped.length > 0) log.info({ count: reaped.length }, "removed containers left by a dead runner of this host");
  // 2. Capabilities.
  // It advertises the Pythons it has images for and those it adds on a cell's first need;
  // its health asks only that the images it has stay present.
  const { available: pythons, installed: imagesPresent } = await listPlanningPythons({
    local: () => listInstallationPythons({ docker: local.docker, imagesCache: path.join(settings.dataDir, "images"), pythonImages: settings.pythonImages }),
    override: settings.runner.pythons,
  });
  if (pythons.length === 0) throw new Error("this host has no Python base image and can add none: run `ponyci images add 3.13`, or set PONYCI_RUNNER_PYTHONS=3.11,3.13");
  // 3. Health: a connection of its own that fails at once when Redis is away (no offline queue).
  const probe = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  probe.on("error", () => undefined); // reported by /healthz
  const health = createRunnerHealth({ docker: local.docker, pythons: imagesPresent, pingRedis: () => probe.ping(), log, intervalMs: deps.healthIntervalMs });
  await health.start();
  // 5 (wired before 4: a finished cell pokes it).
  const gc = createGarbageCollector({ sources: createRunnerSources({ docker: local.docker, dataDir: settings.dataDir, toolchainImages: true }), budgetBytes: settings.diskBudgetBytes, log });
  const stopGc = gc.start();
  const cells: CellRunner = {
    async *runCell(spec, options) {
      try {
        yield* local.cells.runCell(spec, options);
      } finally {
        gc.poke();
      }
    },
  };
  // 4. Work.
  const worker = createRunnerWorker({ url: redisUrl, prefix: settings.queue.prefix, seal: createRedisSeal(settings.redisSigningKey ?? ""), allowUrl: allowRepoUrls(settings.runner.repoUrls), id: settings.runner.id, labels: settings.runner.labels, pythons, concurrency: settings.concurrency, cells, log, accepting: health.accepting });
  await worker.start();
  // 6. Ops endpoint.
  registerRunnerGauges(metrics.registry, { id: settings.runner.id, health: health.last, accepting: () => health.accepting() && !worker.status().draining, running: () => worker.status().running.length, concurrency: settings.concurrency });
  let server: http.Server | undefined;
  if (settings.runner.port !== undefined) {
    const ops = createOpsHandler({ checks: health.checks, metrics });
    server = http.createServer((req, res) => {
      ops(req, res).then(
        (handled) => void (handled || res.writeHead(404, { "content-type": "text/plain" }).end("not found: this is a Pony CI runner (/healthz, /metrics)\n")),
        () => void res.writeHead(500).end(),
      );
    });
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once("error", reject);
      listening.listen(settings.runner.port, settings.host, () => resolve());
    });
  }
  const port = server ? (server.address() as AddressInfo).port : undefined;
  log.info(`Pony CI runner ${settings.runner.id}: Python ${pythons.join(", ")}${settings.runner.labels.length > 0 ? `, labels ${settings.runner.labels.join(", ")}` : ""}, ${settings.concurrency} at once${port !== undefined ? `, /healthz and /metrics on http://${settings.host}:${port}` : ""}`);
  return {
    worker,
    health,
    port,
    async stop({ graceMs }) {
      await worker.stop({ graceMs });
      health.stop();
      stopGc();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server?.closeAllConnections();
      await closeRedis(probe);
      await local.environments?.close().catch((error: unknown) => log.warn({ err: error }, "could not stop the environment builder's background work"));
    },
  };
}

/**
 * `ponyci runner`: run cells for a Pony CI server on this Docker host. Needs
 * PONYCI_REDIS_URL (the server's Redis) and nothing of GitHub: every cell
 * carries its own short-lived clone token. Runs until SIGTERM/SIGINT, then
 * drains: running cells get PONYCI_SHUTDOWN_GRACE seconds, the rest are
 * retried by the server on another runner.
 */
export async function runnerCommand(deps: { settings: Settings; log: Logger }): Promise<number> {
  const { settings, log } = deps;
  process.on("unhandledRejection", (reason) => log.error({ err: reason instanceof Error ? reason.stack : String(reason) }, "unhandled rejection"));
  const host = await startRunnerHost({ settings, log });
  await new Promise<void>((resolve) => {
    const drain = (signal: string) => {
      log.info(`${signal}: draining (running cells get ${settings.shutdownGraceMs / 1000} s)`);
      host.stop({ graceMs: settings.shutdownGraceMs }).then(resolve, (error: unknown) => {
        log.error({ err: error }, "drain failed");
        resolve();
      });
    };
    process.once("SIGTERM", () => drain("SIGTERM"));
    process.once("SIGINT", () => drain("SIGINT"));
  });
  return 0;
}

import type { Settings } from "../settings/load-settings.js";
import type { Logger } from "../domain/logger.js";
import { createLocalRunner } from "../../runner/src/create-local-runner.js";
import { reapContainers } from "../../runner/src/docker/reap-containers.js";
import { createRunnerWorker } from "../../runner/src/remote/create-runner-worker.js";
import { detectPythons } from "../../runner/src/remote/detect-pythons.js";
import { createRedisSeal } from "../domain/redis-seal.js";
import { allowRepoUrls } from "../../runner/src/checkout/parse-repo-url.js";

/**
 * `ponyci runner`: run cells for a Pony CI server on this Docker host. Needs
 * PONYCI_REDIS_URL (the server's Redis) and nothing of GitHub: every cell
 * carries its own short-lived clone token. Numbered steps:
 * 1. remove containers a dead runner of this host left (kill -9, reboot);
 * 2. advertise the Pythons whose base images this host has
 *    (PONYCI_RUNNER_PYTHONS overrides) and PONYCI_RUNNER_LABELS;
 * 3. take cells up to PONYCI_CONCURRENCY until SIGTERM/SIGINT, then drain:
 *    running cells get PONYCI_SHUTDOWN_GRACE seconds, the rest are retried
 *    by the server on another runner.
 */
export async function runnerCommand(deps: { settings: Settings; log: Logger }): Promise<number> {
  const { settings, log } = deps;
  if (settings.queue.kind !== "redis") throw new Error("ponyci runner needs PONYCI_REDIS_URL: the Redis of the Pony CI server it works for (e.g. redis://ci.example.com:6379)");
  process.on("unhandledRejection", (reason) => log.error({ err: reason instanceof Error ? reason.stack : String(reason) }, "unhandled rejection"));
  const local = createLocalRunner(settings, log);
  // 1. Leftovers.
  const reaped = await reapContainers(local.docker);
  if (reaped.length > 0) log.info({ count: reaped.length }, "removed containers left by a dead runner of this host");
  // 2. Capabilities.
  const pythons = settings.runner.pythons ?? (await detectPythons(local.docker));
  if (pythons.length === 0) throw new Error("this host has no Python base image (ponyci/python:X.Y): run runner/images/build-base-images.sh, or set PONYCI_RUNNER_PYTHONS=3.11,3.13");
  // 3. Work.
  const worker = createRunnerWorker({ url: settings.queue.url, seal: createRedisSeal(settings.redisSigningKey ?? ""), allowUrl: allowRepoUrls(settings.runner.repoUrls), id: settings.runner.id, labels: settings.runner.labels, pythons, concurrency: settings.concurrency, cells: local.cells, log });
  await worker.start();
  log.info(`Pony CI runner ${settings.runner.id}: Python ${pythons.join(", ")}${settings.runner.labels.length > 0 ? `, labels ${settings.runner.labels.join(", ")}` : ""}, ${settings.concurrency} at once`);
  await new Promise<void>((resolve) => {
    const drain = (signal: string) => {
      log.info(`${signal}: draining (running cells get ${settings.shutdownGraceMs / 1000} s)`);
      worker.stop({ graceMs: settings.shutdownGraceMs }).then(resolve, (error: unknown) => {
        log.error({ err: error }, "drain failed");
        resolve();
      });
    };
    process.once("SIGTERM", () => drain("SIGTERM"));
    process.once("SIGINT", () => drain("SIGINT"));
  });
  await local.environments?.close().catch((error: unknown) => log.warn({ err: error }, "could not stop the environment builder's background work"));
  return 0;
}

import path from "node:path";
import type Docker from "dockerode";
import type { Settings } from "../../src/settings/load-settings.js";
import { silentLogger, type Logger } from "../../src/log/logger.js";
import { createCheckout, type Checkout } from "./checkout/create-checkout.js";
import { createEnvironmentBuilder } from "./environment/create-environment-builder.js";
import { createDocker } from "./docker/create-docker.js";
import { createCellRunner, type CellRunner } from "./cell/run-cell.js";
import { resolveBaseImage } from "./environment/resolve-base-image.js";

export interface LocalRunner {
  docker: Docker;
  checkout: Checkout;
  cells: CellRunner;
}

/**
 * Wire the runner's pieces for this Docker host from the settings: git mirror
 * cache, environment images, test containers. Opens no connection by itself.
 */
export function createLocalRunner(settings: Pick<Settings, "dataDir" | "baseImage" | "cell">, log: Logger = silentLogger): LocalRunner {
  const docker = createDocker();
  const checkout = createCheckout({ cacheDir: path.join(settings.dataDir, "git"), log });
  const environments = createEnvironmentBuilder({
    docker,
    cacheDir: path.join(settings.dataDir, "environments"),
    baseImage: (python) => resolveBaseImage(docker, settings.baseImage, python),
    log,
  });
  const cells = createCellRunner({
    docker,
    checkout,
    environments,
    workDir: path.join(settings.dataDir, "work"),
    limits: { ...settings.cell },
    log,
  });
  return { docker, checkout, cells };
}

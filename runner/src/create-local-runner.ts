import path from "node:path";
import type Docker from "dockerode";
import { silentLogger, type Logger } from "../../src/domain/logger.js";
import { createCheckout, type Checkout } from "./checkout/create-checkout.js";
import { createEnvironmentBuilder } from "./environment/create-environment-builder.js";
import type { EnvironmentMetrics } from "../../src/domain/environment-metrics.js";
import { createDocker } from "./docker/create-docker.js";
import { createCellRunner } from "./cell/run-cell.js";
import type { CellRunner } from "../../src/domain/cell-runner.js";
import { createBaseImageProvider } from "./images/create-base-image-provider.js";
import type { HostPython } from "../../src/domain/host-python.js";
import { runnerLayout } from "./gc/create-runner-sources.js";
import { trackCheckoutUse, trackEnvironmentUse } from "./gc/track-use.js";
import { harnessDirFor } from "./cell/stage-harness.js";

/** Plain options: the runner knows nothing of the app's settings, so it can run on any Docker host. */
export interface LocalRunnerOptions {
  /** Where mirrors (`git/`), environment caches and workspaces (`work/`) live. */
  dataDir: string;
  /** Image template for a Python version: "auto" or e.g. "ponyci/python:{python}". */
  baseImage: string;
  /** The operator's image per Python version (PONYCI_PYTHON_IMAGES). */
  pythonImages?: Readonly<Record<string, string>>;
  /** Try python:X.Y-slim from a registry before building an image here (PONYCI_REGISTRY, default on). */
  registry?: boolean;
  /** Database services: image template ("auto" or e.g. "{service}:{version}") and memory per service; default auto, 1 GiB. */
  services?: { image: string; memoryBytes: number };
  cell: { memoryBytes: number; nanoCpus: number; pidsLimit: number; timeoutSec: number; logLimitBytes: number; testWorkers?: number };
  /** The host's Python, the operator's package index and CA (default: python3, PyPI, the system CA bundle). */
  hostPython?: HostPython;
  /** "uv" or "pip" (see EnvironmentBuilderOptions.resolver); default pip. */
  resolver?: "uv" | "pip";
  /** Phase timings and outcomes of environment builds (the server wires them to /metrics). */
  environmentMetrics?: EnvironmentMetrics;
}

export interface LocalRunner {
  docker: Docker;
  checkout: Checkout;
  cells: CellRunner;
  /** The environment builder's background work (byte-compiling new environments): idle() waits for it, close() stops it. */
  environments?: { idle(): Promise<void>; close(): Promise<void> };
}

/**
 * Wire the runner's pieces for this Docker host from the settings: git mirror
 * cache, environment store, test containers. Opens no connection by itself.
 */
export function createLocalRunner(settings: LocalRunnerOptions, log: Logger = silentLogger): LocalRunner {
  const docker = createDocker();
  const layout = runnerLayout(settings.dataDir);
  const checkout = createCheckout({ cacheDir: layout.gitDir, log });
  // Last-use marks, so the garbage collector removes the least recently used first.
  const environments = trackEnvironmentUse(createEnvironmentBuilder({
    docker,
    cacheDir: path.join(settings.dataDir, "environments"),
    // A Python without an image is obtained on the first cell that needs it, with progress in that cell's log.
    baseImage: createBaseImageProvider({ docker, template: settings.baseImage, pythonImages: settings.pythonImages, registry: settings.registry, imagesCache: path.join(settings.dataDir, "images") }),
    host: settings.hostPython,
    resolver: settings.resolver,
    metrics: settings.environmentMetrics,
    log,
  }), layout.environmentUseDir);
  const cells = createCellRunner({
    // In a container, a copy in the data directory: the host's Docker Engine resolves the bind mount on the host.
    harnessDir: harnessDirFor(settings.dataDir),
    docker,
    checkout: trackCheckoutUse(checkout, layout.gitDir, layout.mirrorUseDir),
    environments,
    workDir: layout.workDir,
    limits: { ...settings.cell },
    services: { image: settings.services?.image ?? "auto", limits: settings.services ? { memoryBytes: settings.services.memoryBytes } : undefined },
    log,
  });
  return { docker, checkout, cells, environments };
}

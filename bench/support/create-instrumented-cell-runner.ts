import type Docker from "dockerode";
import path from "node:path";
import { createCellRunner } from "../../runner/src/cell/run-cell.js";
import type { CellRunner, EnvironmentPort } from "../../src/domain/cell-runner.js";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import type { ContainerLimits } from "../../runner/src/container/run-test-container.js";
import { createEnvironmentBuilder } from "../../runner/src/environment/create-environment-builder.js";
import { resolveBaseImage } from "../../runner/src/environment/resolve-base-image.js";

/** What `ensure` answered: the image, and whether this call built it. */
export type EnsuredEnvironment = Awaited<ReturnType<EnvironmentPort["ensure"]>>;

export type CellLimits = ContainerLimits & { logLimitBytes: number };

export interface InstrumentedRunnerOptions {
  docker: Docker;
  /** Same layout as createLocalRunner: git/, environments/, work/ below it. */
  dataDir: string;
  limits: CellLimits;
  /** Replaces the default environment builder (a salted key, a counting pip). */
  environments?: EnvironmentPort;
}

export interface InstrumentedRunner {
  cells: CellRunner;
  /**
   * performance.now() of each step of the last run: checkout.start/end,
   * ensure.start/end, create.start/end, attach/start/wait/inspect/remove .start/.end.
   * Cleared by `reset()`.
   */
  marks: Map<string, number>;
  reset(): void;
  /** What the last `ensure` returned (with `built`). */
  lastEnvironment(): EnsuredEnvironment | undefined;
}

const CONTAINER_STEPS = ["attach", "start", "wait", "inspect", "remove"] as const;

/**
 * The runner wired as createLocalRunner wires it, with every step timed from
 * outside: the checkout and environment ports are wrapped, and the Docker
 * client hands out containers whose calls are timed. The code under test is
 * unchanged; only the wiring lets the bench see inside one cell.
 */
export function createInstrumentedCellRunner(options: InstrumentedRunnerOptions): InstrumentedRunner {
  const { docker } = options;
  const marks = new Map<string, number>();
  const mark = (name: string) => marks.set(name, performance.now());
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    mark(`${name}.start`);
    try {
      return await work();
    } finally {
      mark(`${name}.end`);
    }
  };
  let last: EnsuredEnvironment | undefined;

  const checkout = createCheckout({ cacheDir: path.join(options.dataDir, "git") });
  const environments: EnvironmentPort = options.environments ?? createEnvironmentBuilder({
    docker,
    cacheDir: path.join(options.dataDir, "environments"),
    baseImage: (python) => resolveBaseImage(docker, "auto", python),
  });

  // Prototype chain keeps `modem` and every other method of the real client.
  const profiledDocker = Object.create(docker) as Docker;
  const createContainer = async (spec: Docker.ContainerCreateOptions): Promise<Docker.Container> => {
    const container = await timed("create", () => docker.createContainer(spec));
    const methods = container as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const step of CONTAINER_STEPS) {
      const original = methods[step]?.bind(container);
      if (original) methods[step] = (...args: unknown[]) => timed(step, () => original(...args));
    }
    return container;
  };
  (profiledDocker as unknown as { createContainer: typeof createContainer }).createContainer = createContainer;

  const cells = createCellRunner({
    docker: profiledDocker,
    checkout: { checkout: (request, opts) => timed("checkout", () => checkout.checkout(request, opts)) },
    environments: {
      ensure: (request, opts) =>
        timed("ensure", async () => {
          const environment = await environments.ensure(request, opts);
          last = environment;
          return environment;
        }),
    },
    workDir: path.join(options.dataDir, "work"),
    limits: { ...options.limits },
  });
  return { cells, marks, reset: () => marks.clear(), lastEnvironment: () => last };
}

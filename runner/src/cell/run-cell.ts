import type Docker from "dockerode";
import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CellRunner, CellSpec, CheckoutPort, EnvironmentPort } from "../../../src/domain/cell-runner.js";
import type { FinishedEvent, RunnerEvent } from "../../../src/domain/events.js";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { createEventChannel } from "../../../src/util/event-channel.js";
import type { ContainerLimits } from "../container/run-test-container.js";
import { createDbTemplateStore } from "../db-template/create-db-template-store.js";
import { CONTAINER_OWNER } from "../docker/labels.js";
import { JOB_OWNER_FILE } from "../gc/list-job-dirs.js";
import type { RunningService, ServiceLimits } from "../services/start-service.js";
import { checkoutCell } from "./checkout-cell.js";
import { createTestTally } from "./create-test-tally.js";
import { decideCellFailure } from "./decide-cell-failure.js";
import { decideCellFinish, type CellFinish } from "./decide-cell-finish.js";
import { readCellResults } from "./read-cell-results.js";
import { runCellTests } from "./run-cell-tests.js";
import { startCellEnvironment } from "./start-cell-environment.js";
import { startCellService, type CellService } from "./start-cell-service.js";
import { DEFAULT_MAX_EVENTS_BYTES } from "./tail-file.js";
import { useCellDbTemplate } from "./use-cell-db-template.js";

export interface CellRunnerOptions {
  docker: Docker;
  checkout: CheckoutPort;
  environments: EnvironmentPort;
  /** Where job workspaces live (one directory per job, removed afterwards). */
  workDir: string;
  /**
   * `maxTestEvents` (default 100k) and `maxEventsBytes` (default 64 MiB) bound what one cell's events may cost;
   * `testWorkers` (default 1): processes a Django suite is split across (issue 28, ponyci_parallel.py).
   */
  limits: ContainerLimits & { logLimitBytes: number; maxTestEvents?: number; maxEventsBytes?: number; testWorkers?: number };
  harnessDir?: string;
  /** uid:gid test code runs as (default 10001:10001, never root). */
  user?: string;
  /** Database services (spec.services): image template (PONYCI_SERVICE_IMAGE, default "auto") and limits. */
  services?: { image?: string; limits?: Partial<ServiceLimits>; readyTimeoutMs?: number };
  /**
   * Migrated test databases kept per environment and migrations (issue 28;
   * runner/src/db-template): default `<workDir>/db-templates`; false: every
   * cell migrates from scratch.
   */
  dbTemplates?: false | { dir: string; maxTemplates?: number };
  log?: Logger;
  now?: () => number;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** runner/harness, from runner/src/cell (sources) or dist/runner/src/cell (compiled). */
export const DEFAULT_HARNESS_DIR = path.resolve(HERE, HERE.includes(`${path.sep}dist${path.sep}`) ? "../../../../runner/harness" : "../../harness");

/** Test results reported per cell at most; more are counted and dropped. */
export const DEFAULT_MAX_TEST_EVENTS = 100_000;

/**
 * The Docker cell runner. A cell runs in phases, each in a file of its own:
 * service ‖ environment ‖ checkout (start-cell-service, start-cell-environment,
 * checkout-cell), the test-database template (use-cell-db-template), the
 * test container (run-cell-tests), the results (read-cell-results) and the
 * verdict (decide-cell-finish, decide-cell-failure). This file only orders
 * them, keeps the cell's one deadline and cleans up.
 */
export function createCellRunner(options: CellRunnerOptions): CellRunner {
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  const harnessDir = options.harnessDir ?? DEFAULT_HARNESS_DIR;
  const user = options.user ?? "10001:10001";
  const maxTestEvents = options.limits.maxTestEvents ?? DEFAULT_MAX_TEST_EVENTS;
  const maxEventsBytes = options.limits.maxEventsBytes ?? DEFAULT_MAX_EVENTS_BYTES;
  const templateStore = options.dbTemplates === false ? undefined : createDbTemplateStore(options.dbTemplates ?? { dir: path.join(options.workDir, "db-templates") });

  return {
    runCell(spec, { signal } = {}) {
      const channel = createEventChannel<RunnerEvent>();
      void run(spec, signal, channel.push.bind(channel)).then(
        () => channel.close(),
        (error) => channel.fail(error),
      );
      return channel;
    },
  };

  async function run(spec: CellSpec, signal: AbortSignal | undefined, emit: (event: RunnerEvent) => void): Promise<void> {
    const t0 = now();
    // Unique per run: processes sharing a data directory may run jobs of the same id.
    const jobDir = path.join(options.workDir, "jobs", `${safeName(spec.jobId)}-${randomUUID().slice(0, 8)}`);
    const tally = createTestTally({ maxTestEvents, emit });
    // One deadline for every phase: checkout, environment and tests share the cell's timeout, and
    // a repository may ask for less time than the operator allows, never more.
    const timeoutSec = Math.min(spec.timeoutSec ?? options.limits.timeoutSec, options.limits.timeoutSec);
    const deadlineAt = t0 + timeoutSec * 1000;
    const deadline = new AbortController();
    const deadlineTimer = setTimeout(() => deadline.abort(), timeoutSec * 1000);
    const phaseSignal = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    let phase = "the checkout";
    const system = (line: string) => emit({ type: "log", stream: "system", line });
    const finish = (event: CellFinish) => emit({ type: "finished", counts: event.counts ?? { ...tally.counts }, durationMs: now() - t0, ...event } satisfies FinishedEvent);
    /** The cell was stopped before its tests ran: cancelled, or timed out during `phase`. */
    const stopped = (): boolean => {
      if (signal?.aborted) finish({ conclusion: "cancelled", testDurationMs: 0 });
      else if (deadline.signal.aborted) finish({ conclusion: "timed_out", testDurationMs: 0, error: { message: `Timed out after ${timeoutSec} s during ${phase}: the checkout and the environment count towards the cell's timeout.` } });
      else return false;
      return true;
    };
    const services: RunningService[] = [];
    let service: CellService | undefined;
    let serviceStart: Promise<string | undefined> | undefined;
    const environment = startCellEnvironment({ environments: options.environments, spec, signal: phaseSignal, system, now });

    try {
      await mkdir(path.join(jobDir, "out"), { recursive: true });
      // Who runs this job: the garbage collector removes the directories of dead owners only.
      await writeFile(path.join(jobDir, JOB_OWNER_FILE), CONTAINER_OWNER);

      // 1. Prepare, side by side: the database service starts first and comes up while the environment
      // (a cold build takes seconds) is built and the checkout runs. A project whose metadata only its
      // build backend knows asks for its environment once the checkout is there.
      serviceStart = startCellService({
        docker: options.docker, services: options.services, nanoCpus: options.limits.nanoCpus, spec, jobDir, signal: phaseSignal, onLog: system,
        started: (running, info) => (services.push(running), (service = info)),
      });
      serviceStart.catch(() => undefined); // awaited in step 2; not unhandled if something fails first
      const projectMetadata = spec.environment.projectMetadata;
      if (!projectMetadata) environment.ask();
      const checkout = await checkoutCell({
        checkout: options.checkout, spec, jobDir, signal: phaseSignal, system, now,
        onWorkspace: (workspace) => projectMetadata && environment.ask({
          dir: workspace.path, sourceKey: workspace.sha, extras: projectMetadata.extras,
          ...(projectMetadata.optionalExtras ? { optionalExtras: projectMetadata.optionalExtras } : {}),
          ...(projectMetadata.buildSystem ? { buildSystem: projectMetadata.buildSystem } : {}),
        }),
      });
      if (stopped()) return;

      // 2. The environment is ready (then the service must be).
      phase = "the environment build";
      const ready = await environment.ready();
      const networkMode = await serviceStart;
      if (stopped()) return;
      phase = "the tests";

      // 3. Migrate once per environment: the kept migrated test database, or the order to keep this one.
      const template = await useCellDbTemplate({
        docker: options.docker, store: templateStore, user, log, spec, jobDir,
        workspaceDir: checkout.workspace.path, environmentKey: ready.key, service, onLog: system,
      });

      // 4. The test container, with the harness reporting on its own channel.
      const testRun = await runCellTests({
        docker: options.docker, harnessDir, user, limits: options.limits, maxTestEvents, maxEventsBytes,
        spec, jobDir, checkout, environment: ready, networkMode, template,
        cellStartedAt: t0, deadlineAt, signal, tally, emit, system, now,
      });

      // 5. No runner the harness reads ran: JUnit XML the command wrote, else the counts are unknown; then the verdict.
      const results = await readCellResults({ run: testRun, workspaceDir: checkout.workspace.path, tally, system });
      finish(decideCellFinish({ spec, run: testRun, counts: tally.counts, ...results, timeoutSec, memoryBytes: options.limits.memoryBytes }));
    } catch (error) {
      if (stopped()) return;
      const failure = decideCellFailure(spec, error);
      log.warn({ jobId: spec.jobId, err: error }, failure.projectFault ? "cell environment could not be built" : "cell failed on infrastructure");
      finish(failure.finish);
    } finally {
      clearTimeout(deadlineTimer);
      // Done with the environment, however the cell ended (also when it is ready only after the checkout failed).
      environment.release();
      // A start still under way (the environment failed first) settles, then its container is stopped too.
      await serviceStart?.catch(() => undefined);
      await Promise.all(services.map((running) => running.stop()));
      await rm(jobDir, { recursive: true, force: true }).catch((error) => log.warn({ jobDir, err: error }, "could not remove job directory"));
    }
  }
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, "_");
}

import type Docker from "dockerode";
import { execa } from "execa";
import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CellRunner, CellSpec, CheckoutPort, EnvironmentPort } from "../../../src/domain/cell-runner.js";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { createEventChannel } from "../../../src/util/event-channel.js";
import { createLineSplitter } from "../container/create-line-splitter.js";
import { runTestContainer, type ContainerLimits } from "../container/run-test-container.js";
import { InfrastructureError, ProjectError, describeError } from "../../../src/domain/errors.js";
import { errorFate } from "../../../src/domain/error-fate.js";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { VENV_PATH, type ProjectMetadataRequest } from "../../../src/domain/environment.js";
import { SYSTEM_PATH } from "../../../src/domain/host-python.js";
import { emptyCounts, type FinishedEvent, type RunnerEvent, type SourceLocation, type TestCounts } from "../../../src/domain/events.js";
import { decideConclusion } from "./decide-conclusion.js";
import { parseHarnessEvent } from "./parse-harness-event.js";
import { tailFile, DEFAULT_MAX_EVENTS_BYTES } from "./tail-file.js";
import { openEventsFile } from "./open-events-file.js";
import { readJunitReports } from "./read-junit-reports.js";
import { JOB_OWNER_FILE } from "../gc/list-job-dirs.js";
import { CONTAINER_OWNER } from "../docker/labels.js";
import type { FileHandle } from "node:fs/promises";
import { databaseEnv } from "../../../src/domain/database.js";
import { resolveServiceImage } from "../services/resolve-service-image.js";
import { ciEnvironment, containerFixedEnvironment } from "../../../src/domain/ci-environment.js";
import { defaultServiceLimits } from "../../../src/domain/service-limits.js";
import { createOutputTail } from "./create-output-tail.js";
import { applyShardEnv } from "./apply-shard-env.js";
import { databaseLogins } from "../../../src/domain/database-logins.js";
import { startService, type RunningService, type ServiceLimits } from "../services/start-service.js";
import { createDbTemplateStore } from "../db-template/create-db-template-store.js";
import { prepareCellDbTemplate, type CellDbTemplate } from "../db-template/prepare-cell-db-template.js";

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

const CONTAINER_WORKSPACE = "/workspace";
/** The events file inside the container: a bind mount of the host's own file (see openEventsFile). */
const CONTAINER_EVENTS = "/ponyci/out/events.jsonl";
/** Test results reported per cell at most; more are counted and dropped. */
export const DEFAULT_MAX_TEST_EVENTS = 100_000;
/** Lines of the environment tools' output kept for a failed build's log. */
const TOOL_OUTPUT_LINES = 60;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

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

  /**
   * Start the job's database service (at most one: the cell's database) and
   * return the test container's network mode; undefined without services.
   * Each service started is handed to `started` at once, so the caller's
   * `finally` stops it whatever happens next.
   */
  async function startServices(spec: CellSpec, jobDir: string, signal: AbortSignal | undefined, started: (service: RunningService, image: string, inputDir: string) => void, onLog: (line: string) => void): Promise<string | undefined> {
    const [service, ...more] = spec.services ?? [];
    if (!service) return undefined;
    if (more.length > 0) throw new InfrastructureError(`a job runs one database service, this one asks for ${spec.services?.length}`);
    const image = await resolveServiceImage(options.docker, options.services?.image ?? "auto", service);
    // The users and databases the project's own settings name (config env, tox set_env over it), as the tests will see them.
    const projectEnv = { ...spec.env, ...spec.commands?.env };
    const logins = databaseLogins(service.name, projectEnv, { ...databaseEnv(service.name), ...projectEnv });
    const inputDir = path.join(jobDir, "service-in");
    await mkdir(inputDir, { recursive: true, mode: 0o755 });
    const running = await startService(options.docker, {
      jobId: spec.jobId,
      service,
      image,
      logins,
      scratchDir: path.join(jobDir, "service"),
      inputDir,
      limits: { ...defaultServiceLimits, nanoCpus: options.limits.nanoCpus, ...options.services?.limits },
      readyTimeoutMs: options.services?.readyTimeoutMs,
      signal,
    });
    started(running, image, inputDir);
    onLog(`Service ${service.name} (${image}) ready in ${running.readyMs} ms on 127.0.0.1${logins.length > 0 ? ` (users ${[...new Set(logins.map((l) => l.user))].join(", ")})` : ""}`);
    return running.networkMode;
  }

  /** The cell's test-database template (prepareCellDbTemplate), or undefined: never fails the cell. */
  async function useDbTemplate(spec: CellSpec, jobDir: string, workspaceDir: string, environmentKey: string | undefined, service: { id: string; image: string; inputDir: string } | undefined, onLog: (line: string) => void): Promise<CellDbTemplate | undefined> {
    if (!templateStore) return undefined;
    const serviceSpec = spec.services?.[0];
    try {
      return await prepareCellDbTemplate({
        docker: options.docker, store: templateStore, jobDir, workspaceDir, environmentKey,
        database: serviceSpec?.name ?? (spec.cell.database === "sqlite" || !spec.cell.database ? "sqlite" : undefined),
        ...(service && serviceSpec ? { service: { ...service, spec: serviceSpec } } : {}),
        scope: spec.source.url, env: { ...spec.env, ...spec.commands?.env },
        command: spec.commands ? JSON.stringify(spec.commands) : spec.command, user, log: onLog,
      });
    } catch (error) {
      log.warn({ jobId: spec.jobId, err: error }, "test database template not prepared");
      onLog(`Test database template not used: ${describeError(error)}`);
      return undefined;
    }
  }

  async function run(spec: CellSpec, signal: AbortSignal | undefined, emit: (event: RunnerEvent) => void): Promise<void> {
    const t0 = now();
    // Unique per run: processes sharing a data directory may run jobs of the same id.
    const jobDir = path.join(options.workDir, "jobs", `${safeName(spec.jobId)}-${randomUUID().slice(0, 8)}`);
    // Counted as they stream past, never kept: a container may report millions of tests.
    const tested = emptyCounts();
    let droppedTests = 0;
    let eventsFile: FileHandle | undefined;
    // One deadline for every phase: checkout, environment and tests share the cell's timeout, and
    // a repository may ask for less time than the operator allows, never more.
    const timeoutSec = Math.min(spec.timeoutSec ?? options.limits.timeoutSec, options.limits.timeoutSec);
    const deadlineAt = t0 + timeoutSec * 1000;
    const deadline = new AbortController();
    const deadlineTimer = setTimeout(() => deadline.abort(), timeoutSec * 1000);
    const phaseSignal = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    let phase = "the checkout";
    const timedOutBefore = (during: string) =>
      finish({ conclusion: "timed_out", testDurationMs: 0, error: { message: `Timed out after ${timeoutSec} s during ${during}: the checkout and the environment count towards the cell's timeout.` } });
    const services: RunningService[] = [];
    let serviceInfo: { id: string; image: string; inputDir: string } | undefined;
    let serviceStart: Promise<string | undefined> | undefined;
    /** The environment, asked for alongside the checkout (it needs only the spec); settled in the finally, however the cell ends. */
    let environmentPending: ReturnType<EnvironmentPort["ensure"]> | undefined;
    /** Aborts the environment when the cell ends without it (a failed checkout): a build must not outlive its cell. */
    const environmentAbort = new AbortController();
    const system = (line: string) => emit({ type: "log", stream: "system", line });
    const finish = (event: Omit<FinishedEvent, "type" | "durationMs" | "counts"> & Partial<Pick<FinishedEvent, "counts">>) =>
      emit({ type: "finished", counts: event.counts ?? { ...tested }, durationMs: now() - t0, ...event });

    try {
      await mkdir(path.join(jobDir, "out"), { recursive: true });
      // Who runs this job: the garbage collector removes the directories of dead owners only.
      await writeFile(path.join(jobDir, JOB_OWNER_FILE), CONTAINER_OWNER);

      // 0. The database service starts first and comes up while the checkout and the environment are made ready.
      serviceStart = startServices(spec, jobDir, phaseSignal, (service, image, inputDir) => (services.push(service), (serviceInfo = { id: service.id, image, inputDir })), system);
      serviceStart.catch(() => undefined); // awaited in step 3; not unhandled if something fails first

      // 1. The environment (a cold build takes seconds) starts while the checkout runs. The tools' own
      // output (pip, uv, the build container) is kept back and shown only if the build fails: the
      // log is the project's, with Pony CI's steps as short lines.
      const toolOutput: string[] = [];
      const onLog = (line: string) => {
        const own = /^ponyci:\s*(.*)$/.exec(line);
        if (own) return system(own[1] ?? "");
        toolOutput.push(line);
        if (toolOutput.length > TOOL_OUTPUT_LINES) toolOutput.shift();
      };
      const environmentStep = now();
      let environmentReadyAt = environmentStep;
      const ensureEnvironment = (project?: ProjectMetadataRequest) => {
        environmentPending = options.environments.ensure({ ...environmentRequest(spec), ...(project ? { project } : {}) }, { signal: AbortSignal.any([phaseSignal, environmentAbort.signal]), onLog });
        environmentPending.then(() => (environmentReadyAt = now()), () => undefined); // awaited in step 3; not unhandled if the checkout fails first
      };
      // A project whose metadata only its build backend knows needs the checkout first.
      const projectMetadata = spec.environment.projectMetadata;
      if (!projectMetadata) ensureEnvironment();

      // 2. Checkout: the exact commit, plus any upstream repositories.
      let step = now();
      system(`Checking out ${spec.source.sha.slice(0, 12)}`);
      const workspace = await options.checkout.checkout({ ...spec.source, workspaceDir: path.join(jobDir, "workspace") }, { signal: phaseSignal });
      system(`Checked out in ${seconds(now() - step)}`);
      if (projectMetadata) {
        ensureEnvironment({
          dir: workspace.path, sourceKey: workspace.sha, extras: projectMetadata.extras,
          ...(projectMetadata.optionalExtras ? { optionalExtras: projectMetadata.optionalExtras } : {}),
          ...(projectMetadata.buildSystem ? { buildSystem: projectMetadata.buildSystem } : {}),
        });
      }
      // The workspace borrows the mirror's objects (git alternates): mounted
      // read-only at the same path, git works inside the container too.
      const upstreamBinds: string[] = (workspace.sharedObjectDirs ?? []).map((dir) => `${dir}:${dir}:ro`);
      const pythonPath: string[] = [];
      for (const [i, upstream] of (spec.upstream ?? []).entries()) {
        step = now();
        const ws = await options.checkout.checkout({ ...upstream, workspaceDir: path.join(jobDir, `upstream-${i}`) }, { signal: phaseSignal });
        system(`Checked out ${upstream.name} at ${upstream.sha.slice(0, 12)} in ${seconds(now() - step)}`);
        const mount = `/upstream/${i}`;
        upstreamBinds.push(`${ws.path}:${mount}:ro`);
        pythonPath.push(mount, `${mount}/src`);
      }
      if (signal?.aborted) return finish({ conclusion: "cancelled", testDurationMs: 0 });
      if (deadline.signal.aborted) return timedOutBefore(phase);

      // 3. The environment is ready (then the service must be).
      phase = "the environment build";
      let environment: Awaited<ReturnType<EnvironmentPort["ensure"]>>;
      try {
        if (!environmentPending) throw new InfrastructureError("the environment was never asked for");
        environment = await environmentPending;
      } catch (error) {
        if (!phaseSignal.aborted && toolOutput.length > 0) {
          system(`Environment build failed; the last ${toolOutput.length} lines of its output:`);
          for (const line of toolOutput) system(line);
        }
        throw error;
      }
      system(`Environment ${environment.key ? `${environment.key.slice(0, 12)} on ${environment.image}` : environment.image} (Django ${environment.django}, ${environment.built ? "built" : "cached"}) in ${seconds(environmentReadyAt - environmentStep)}`);
      const networkMode = await serviceStart;
      if (signal?.aborted) return finish({ conclusion: "cancelled", testDurationMs: 0 });
      if (deadline.signal.aborted) return timedOutBefore(phase);
      phase = "the tests";

      // 3b. Migrate once per environment: the kept migrated test database, or the order to keep this one.
      const template = await useDbTemplate(spec, jobDir, workspace.path, environment.key, serviceInfo, system);

      // 4. The events file, created and opened by the host before the container exists; then hand
      // the workspace and that file to the unprivileged test user.
      const eventsPath = path.join(jobDir, "out", "events.jsonl");
      eventsFile = await openEventsFile(eventsPath);
      await execa("chown", ["-R", user, workspace.path, path.join(jobDir, "out")], { extendEnv: false, env: { PATH: SYSTEM_PATH } });

      // 5. The test container, with the harness reporting on its own channel.
      let ended = false;
      let testDurationMs = 0;
      let harnessTotals: TestCounts | undefined;
      let crash: { message: string; location?: SourceLocation; traceback?: string } | undefined;
      /** A runner the harness reads ran (even with no tests): the counts are known. */
      let testsRead = false;
      let failedCommand: { step: string; command: string[]; exitCode: number } | undefined;
      const outputTail = createOutputTail();
      const events = tailFile(eventsFile, (line) => {
        const event = parseHarnessEvent(line);
        if (!event) return;
        if (event.event === "test") {
          if (tested.total >= maxTestEvents) {
            droppedTests++;
            return;
          }
          tested[event.test.outcome]++;
          tested.total++;
          emit({ type: "test", test: event.test });
        } else if (event.event === "error") {
          crash = { message: event.message, location: event.location, traceback: event.traceback };
        } else if (event.event === "command") {
          failedCommand ??= { step: event.step, command: event.command, exitCode: event.exitCode };
        } else if (event.event === "end") {
          ended = true;
          testDurationMs = event.durationMs;
          harnessTotals = event.totals;
        } else if (event.event === "run") {
          testsRead = true;
        } else if (event.event === "db_template") {
          template?.onEvent(event);
        } else if (event.event === "start") {
          system(`Running tests with ${event.runner}: ${event.command.join(" ")}`);
        }
      }, { maxTotalBytes: maxEventsBytes });
      // One output budget for both streams.
      const budget = { left: options.limits.logLimitBytes };
      const splitters = {
        stdout: createLineSplitter({ onLine: (line) => (outputTail.push(line), emit({ type: "log", stream: "stdout", line })), budget }),
        stderr: createLineSplitter({ onLine: (line) => (outputTail.push(line), emit({ type: "log", stream: "stderr", line })), budget }),
      };
      // What is left of the cell's deadline (at least a second, so the container starts and is timed out by Docker's clock).
      const remainingSec = Math.max(1, Math.ceil((deadlineAt - now()) / 1000));
      let outcome;
      /** Wall clock (file times are), before the container: what the command writes is newer. */
      const containerStartedAt = Date.now();
      try {
        outcome = await runTestContainer(
          options.docker,
          {
            jobId: spec.jobId,
            image: environment.image,
            cmd: ["python", "/ponyci/harness/ponyci_harness.py"],
            env: { ...environment.containerEnv, ...containerEnv(spec, pythonPath, options.limits.testWorkers ?? 1), ...template?.env },
            workingDir: CONTAINER_WORKSPACE,
            binds: [
              ...(environment.venvDir ? [`${environment.venvDir}:${VENV_PATH}:ro`] : []),
              `${workspace.path}:${CONTAINER_WORKSPACE}`,
              `${harnessDir}:/ponyci/harness:ro`,
              `${eventsPath}:${CONTAINER_EVENTS}`,
              ...upstreamBinds,
              ...(template?.binds ?? []),
            ],
            user,
            limits: { ...options.limits, timeoutSec: remainingSec },
            networkMode,
          },
          {
            signal,
            onStarted: () => emit({ type: "started", jobId: spec.jobId, cell: spec.cell, image: environment.image, environmentBuilt: environment.built, at: now() }),
            onOutput: (stream, chunk) => splitters[stream].write(chunk),
          },
        );
      } finally {
        splitters.stdout.end();
        splitters.stderr.end();
        await events.stop();
        await template?.settled();
      }
      system(`Test container ended (exit code ${outcome.exitCode ?? "none"}) after ${seconds(now() - t0)} in all`);
      const truncatedLines = splitters.stdout.dropped + splitters.stderr.dropped;
      if (truncatedLines > 0) system(`${truncatedLines} lines of output were dropped (log limit ${options.limits.logLimitBytes} bytes)`);
      if (droppedTests > 0) system(`${droppedTests} more test results were dropped (at most ${maxTestEvents} per cell)`);
      if (events.truncated) system(`the events file was read up to its limit (${maxEventsBytes} bytes); the rest was ignored`);
      // 6. No runner the harness reads ran: JUnit XML the command wrote, else the counts are unknown.
      const outcomeNotes = [...(spec.notes ?? [])];
      let countsUnknown = false;
      if (!testsRead && tested.total === 0 && ended && !crash && !outcome.timedOut && !outcome.cancelled) {
        const junit = await readJunitReports(workspace.path, { since: containerStartedAt });
        for (const note of junit.notes) system(note);
        for (const test of junit.tests) {
          tested[test.outcome]++;
          tested.total++;
          emit({ type: "test", test });
        }
        if (junit.tests.length > 0) system(`Read ${junit.tests.length} test results from JUnit XML: ${junit.files.slice(0, 5).join(", ")}${junit.files.length > 5 ? ", …" : ""}`);
        else {
          countsUnknown = true;
          outcomeNotes.push("Pony CI could not read this run's tests (no Django, unittest or pytest run, no JUnit XML written): the counts are unknown, and a passing command is neutral, not green");
        }
      }
      const counts = { ...tested };
      if (harnessTotals && harnessTotals.total > counts.total) Object.assign(counts, harnessTotals);
      const verdict = decideConclusion(
        { ...outcome, timeoutSec, memoryBytes: options.limits.memoryBytes },
        { ended, counts, crash, countsUnknown, failedCommand: failedCommand && { ...failedCommand, output: outputTail.linesOf(failedCommand.step) } },
      );
      if (spec.ignoreOutcome && (verdict.conclusion === "failure" || verdict.conclusion === "timed_out")) {
        outcomeNotes.push(`The cell ${verdict.conclusion === "failure" ? "failed" : "timed out"}, but its tox env sets ignore_outcome: reported as neutral`);
        verdict.conclusion = "neutral";
      }
      finish({ ...verdict, counts, ...(countsUnknown ? { countsUnknown } : {}), testDurationMs, exitCode: outcome.exitCode, truncatedLines: truncatedLines || undefined, notes: outcomeNotes.length > 0 ? outcomeNotes : undefined });
    } catch (error) {
      if (signal?.aborted) return finish({ conclusion: "cancelled", testDurationMs: 0 });
      if (deadline.signal.aborted) return timedOutBefore(phase);
      // At this boundary an error of no known class (Docker, git, the file system) is infrastructure.
      const domainError = toDomainError(error);
      const projectFault = errorFate(domainError, "retry") === "fail";
      log.warn({ jobId: spec.jobId, err: error }, projectFault ? "cell environment could not be built" : "cell failed on infrastructure");
      finish({
        notes: spec.notes,
        conclusion: projectFault ? "failure" : "error",
        testDurationMs: 0,
        error: { message: projectFault ? describeError(error) : `Infrastructure error: ${describeError(error)}` },
        infrastructureError: projectFault ? undefined : domainError instanceof InfrastructureError ? domainError : new InfrastructureError(describeError(error), { cause: error }),
      });
    } finally {
      clearTimeout(deadlineTimer);
      // Done with the environment, however the cell ended (also when it is ready only after the checkout
      // failed): its deferred work (a byte-compile) may start.
      environmentAbort.abort();
      void environmentPending?.then((environment) => environment.key && options.environments.settle?.(environment.key), () => undefined);
      await eventsFile?.close().catch(() => undefined);
      // A start still under way (the environment failed first) settles, then its container is stopped too.
      await serviceStart?.catch(() => undefined);
      await Promise.all(services.map((service) => service.stop()));
      await rm(jobDir, { recursive: true, force: true }).catch((error) => log.warn({ jobDir, err: error }, "could not remove job directory"));
    }
  }
}

/**
 * The environment builder's errors as the domain's classes: its `project`
 * failures are the project's fault, the rest infrastructure. (Goes away when
 * EnvironmentError extends ProjectError / InfrastructureError itself.)
 */
function toDomainError(error: unknown): unknown {
  if (!(error instanceof EnvironmentError)) return error;
  return error.kind === "project" ? new ProjectError(error.message, { cause: error }) : new InfrastructureError(error.message, { cause: error });
}

/** The environment port's request for a job spec: exactly what the planner decided to install. */
function environmentRequest(spec: CellSpec): Parameters<EnvironmentPort["ensure"]>[0] {
  const { python, django, requirements, constraints, sources, requirementNotes, database } = spec.environment;
  return {
    python, django, requirements, cacheScope: spec.source.url,
    ...(constraints?.length ? { constraints } : {}),
    ...(sources?.length ? { sources } : {}),
    ...(requirementNotes?.length ? { notes: requirementNotes } : {}),
    ...(database ? { database } : {}),
  };
}

function containerEnv(spec: CellSpec, pythonPath: string[], workers: number): Record<string, string> {
  // The database's standard variables first: the repository's `env:` may override them.
  const service = spec.services?.[0];
  const database = service?.name ?? (spec.cell.database === "sqlite" ? "sqlite" : undefined);
  const env: Record<string, string> = { ...ciEnvironment, ...(database ? databaseEnv(database) : {}), ...spec.env };
  if (service) env.PONYCI_DATABASE = service.name;
  Object.assign(env, {
    ...containerFixedEnvironment,
    PONYCI_EVENTS: CONTAINER_EVENTS,
    PONYCI_REPO_ROOT: CONTAINER_WORKSPACE,
  });
  if (spec.commands) env.PONYCI_COMMANDS = JSON.stringify(spec.commands);
  else if (spec.command) env.PONYCI_TEST_COMMAND = spec.command;
  if (spec.onlyTests && spec.onlyTests.length > 0) env.PONYCI_ONLY_TESTS = JSON.stringify(spec.onlyTests);
  applyShardEnv(env, spec.shard);
  delete env.PONYCI_POSARGS;
  if (spec.posargs && spec.posargs.length > 0 && !spec.commands && !spec.command) env.PONYCI_POSARGS = JSON.stringify(spec.posargs);
  delete env.PONYCI_FIRST;
  for (const name of Object.keys(env)) if (name.startsWith("PONYCI_DB_TEMPLATE")) delete env[name];
  delete env.PONYCI_WORKERS;
  delete env.PONYCI_ORDER;
  if (workers > 1) {
    env.PONYCI_WORKERS = String(workers);
    if (spec.testOrder && spec.testOrder.length > 0) env.PONYCI_ORDER = JSON.stringify(spec.testOrder);
  }
  if (spec.firstTests && spec.firstTests.length > 0) env.PONYCI_FIRST = JSON.stringify(spec.firstTests);
  if (pythonPath.length > 0) env.PYTHONPATH = [...pythonPath, spec.env.PYTHONPATH].filter(Boolean).join(":");
  return env;
}


function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, "_");
}

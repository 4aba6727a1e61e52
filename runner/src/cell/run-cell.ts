import type Docker from "dockerode";
import { execa } from "execa";
import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Cell } from "../../../src/domain/cell.js";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { createEventChannel } from "../util/event-channel.js";
import { createLineSplitter } from "../container/create-line-splitter.js";
import { runTestContainer, type ContainerLimits } from "../container/run-test-container.js";
import { InfrastructureError, describeError } from "../../../src/domain/errors.js";
import { emptyCounts, type FinishedEvent, type RunnerEvent, type SourceLocation, type TestResult } from "../../../src/domain/events.js";
import { decideConclusion } from "./decide-conclusion.js";
import { parseHarnessEvent } from "./parse-harness-event.js";
import { tailFile } from "./tail-file.js";

/** A repository at an exact commit, as the checkout port takes it. */
export interface CommitSource {
  url: string;
  token?: string;
  sha: string;
  fetchRefs?: string[];
}

/** Everything one cell run needs. */
export interface CellSpec {
  jobId: string;
  source: CommitSource;
  cell: Cell;
  /** Repo config `test`: replaces the harness's detection. */
  testCommand?: string;
  /** Repo config `install`: replaces detected test dependencies. */
  install?: string[];
  /** Dependencies from elsewhere (tox factor deps). */
  extraDeps?: string[];
  /** Repo config `env`. */
  env?: Record<string, string>;
  timeoutSec?: number;
  /** Run only these test ids (re-run of failed tests). */
  onlyTests?: string[];
  /**
   * Repositories at exact commits put ahead of site-packages on the Python
   * path: a downstream project tested against its app as it now is.
   */
  upstream?: Array<CommitSource & { name: string }>;
}

/** The checkout port (runner/src/checkout). */
export interface CheckoutPort {
  checkout(
    req: CommitSource & { workspaceDir: string },
    opts?: { signal?: AbortSignal },
  ): Promise<{ path: string; sha: string; remove(): Promise<void>; sharedObjectDirs?: string[] }>;
}

/** The environment port (runner/src/environment). */
export interface EnvironmentPort {
  ensure(
    req: { python: string; django: string; workspace: string; install?: string[]; extraDeps?: string[] },
    opts?: { signal?: AbortSignal; onLog?: (line: string) => void },
  ): Promise<{ image: string; built: boolean; django: string }>;
}

export interface CellRunnerOptions {
  docker: Docker;
  checkout: CheckoutPort;
  environments: EnvironmentPort;
  /** Where job workspaces live (one directory per job, removed afterwards). */
  workDir: string;
  limits: ContainerLimits & { logLimitBytes: number };
  harnessDir?: string;
  /** uid:gid test code runs as (default 10001:10001, never root). */
  user?: string;
  log?: Logger;
  now?: () => number;
}

export interface CellRunner {
  /**
   * Run one cell. The iterable yields `started` when the test container
   * starts, logs and test results as they happen, and always ends with one
   * `finished` (infrastructure failures included: conclusion "error", with the
   * InfrastructureError as `cause` on `finishedError`). Aborting `signal`
   * stops the container promptly and finishes "cancelled".
   */
  runCell(spec: CellSpec, options?: { signal?: AbortSignal }): AsyncIterable<RunnerEvent>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** runner/harness, from runner/src/cell (sources) or dist/runner/src/cell (compiled). */
export const DEFAULT_HARNESS_DIR = path.resolve(HERE, HERE.includes(`${path.sep}dist${path.sep}`) ? "../../../../runner/harness" : "../../harness");

const CONTAINER_WORKSPACE = "/workspace";

export function createCellRunner(options: CellRunnerOptions): CellRunner {
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  const harnessDir = options.harnessDir ?? DEFAULT_HARNESS_DIR;
  const user = options.user ?? "10001:10001";

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
    const tests: TestResult[] = [];
    const system = (line: string) => emit({ type: "log", stream: "system", line });
    const finish = (event: Omit<FinishedEvent, "type" | "durationMs" | "counts"> & Partial<Pick<FinishedEvent, "counts">>) =>
      emit({ type: "finished", counts: event.counts ?? countTests(tests), durationMs: now() - t0, ...event });

    try {
      await mkdir(path.join(jobDir, "out"), { recursive: true });

      // 1. Checkout: the exact commit, plus any upstream repositories.
      system(`Checking out ${spec.source.sha.slice(0, 12)}`);
      const workspace = await options.checkout.checkout({ ...spec.source, workspaceDir: path.join(jobDir, "workspace") }, { signal });
      // The workspace borrows the mirror's objects (git alternates): mounted
      // read-only at the same path, git works inside the container too.
      const upstreamBinds: string[] = (workspace.sharedObjectDirs ?? []).map((dir) => `${dir}:${dir}:ro`);
      const pythonPath: string[] = [];
      for (const [i, upstream] of (spec.upstream ?? []).entries()) {
        system(`Checking out ${upstream.name} at ${upstream.sha.slice(0, 12)}`);
        const ws = await options.checkout.checkout({ ...upstream, workspaceDir: path.join(jobDir, `upstream-${i}`) }, { signal });
        const mount = `/upstream/${i}`;
        upstreamBinds.push(`${ws.path}:${mount}:ro`);
        pythonPath.push(mount, `${mount}/src`);
      }
      if (signal?.aborted) return finish({ conclusion: "cancelled", testDurationMs: 0 });

      // 2. Environment: cached image for the cell.
      const environment = await options.environments.ensure(
        { python: spec.cell.python, django: spec.cell.django, workspace: workspace.path, install: spec.install, extraDeps: spec.extraDeps },
        { signal, onLog: system },
      );
      system(`Environment ${environment.image} (Django ${environment.django}${environment.built ? ", built now" : ", cached"})`);
      if (signal?.aborted) return finish({ conclusion: "cancelled", testDurationMs: 0 });

      // 3. Hand the workspace to the unprivileged test user.
      await execa("chown", ["-R", user, workspace.path, path.join(jobDir, "out")]);

      // 4. The test container, with the harness reporting on its own channel.
      let ended = false;
      let testDurationMs = 0;
      let harnessTotals: ReturnType<typeof countTests> | undefined;
      let crash: { message: string; location?: SourceLocation; traceback?: string } | undefined;
      const events = tailFile(path.join(jobDir, "out", "events.jsonl"), (line) => {
        const event = parseHarnessEvent(line);
        if (!event) return;
        if (event.event === "test") {
          tests.push(event.test);
          emit({ type: "test", test: event.test });
        } else if (event.event === "error") {
          crash = { message: event.message, location: event.location, traceback: event.traceback };
        } else if (event.event === "end") {
          ended = true;
          testDurationMs = event.durationMs;
          harnessTotals = event.totals;
        } else if (event.event === "start") {
          system(`Running tests with ${event.runner}: ${event.command.join(" ")}`);
        }
      });
      // One output budget for both streams.
      const budget = { left: options.limits.logLimitBytes };
      const splitters = {
        stdout: createLineSplitter({ onLine: (line) => emit({ type: "log", stream: "stdout", line }), budget }),
        stderr: createLineSplitter({ onLine: (line) => emit({ type: "log", stream: "stderr", line }), budget }),
      };
      const timeoutSec = spec.timeoutSec ?? options.limits.timeoutSec;
      let outcome;
      try {
        outcome = await runTestContainer(
          options.docker,
          {
            jobId: spec.jobId,
            image: environment.image,
            cmd: ["python", "/ponyci/harness/ponyci_harness.py"],
            env: containerEnv(spec, pythonPath),
            workingDir: CONTAINER_WORKSPACE,
            binds: [`${workspace.path}:${CONTAINER_WORKSPACE}`, `${harnessDir}:/ponyci/harness:ro`, `${path.join(jobDir, "out")}:/ponyci/out`, ...upstreamBinds],
            user,
            limits: { ...options.limits, timeoutSec },
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
      }
      const truncatedLines = splitters.stdout.dropped + splitters.stderr.dropped;
      if (truncatedLines > 0) system(`${truncatedLines} lines of output were dropped (log limit ${options.limits.logLimitBytes} bytes)`);
      const counts = countTests(tests);
      if (harnessTotals && harnessTotals.total > counts.total) Object.assign(counts, harnessTotals);
      const verdict = decideConclusion(
        { ...outcome, timeoutSec, memoryBytes: options.limits.memoryBytes },
        { ended, counts, crash },
      );
      finish({ ...verdict, counts, testDurationMs, exitCode: outcome.exitCode, truncatedLines: truncatedLines || undefined });
    } catch (error) {
      if (signal?.aborted) return finish({ conclusion: "cancelled", testDurationMs: 0 });
      const projectFault = (error as { kind?: string }).kind === "project";
      log.warn({ jobId: spec.jobId, err: describeError(error) }, projectFault ? "cell environment could not be built" : "cell failed on infrastructure");
      finish({
        conclusion: projectFault ? "failure" : "error",
        testDurationMs: 0,
        error: { message: projectFault ? describeError(error) : `Infrastructure error: ${describeError(error)}` },
        infrastructureError: projectFault ? undefined : error instanceof InfrastructureError ? error : new InfrastructureError(describeError(error), { cause: error }),
      });
    } finally {
      await rm(jobDir, { recursive: true, force: true }).catch((error) => log.warn({ jobDir, err: describeError(error) }, "could not remove job directory"));
    }
  }
}

function containerEnv(spec: CellSpec, pythonPath: string[]): Record<string, string> {
  const env: Record<string, string> = { ...(spec.env ?? {}) };
  Object.assign(env, {
    HOME: "/tmp",
    PONYCI: "1",
    CI: "true",
    PONYCI_EVENTS: "/ponyci/out/events.jsonl",
    PONYCI_REPO_ROOT: CONTAINER_WORKSPACE,
  });
  if (spec.testCommand) env.PONYCI_TEST_COMMAND = spec.testCommand;
  if (spec.onlyTests && spec.onlyTests.length > 0) env.PONYCI_ONLY_TESTS = JSON.stringify(spec.onlyTests);
  if (pythonPath.length > 0) env.PYTHONPATH = [...pythonPath, spec.env?.PYTHONPATH].filter(Boolean).join(":");
  return env;
}

function countTests(tests: TestResult[]) {
  const counts = emptyCounts();
  for (const test of tests) {
    counts[test.outcome]++;
    counts.total++;
  }
  return counts;
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, "_");
}

import type Docker from "dockerode";
import { execa } from "execa";
import path from "node:path";
import type { CellSpec } from "../../../src/domain/cell-runner.js";
import { VENV_PATH } from "../../../src/domain/environment.js";
import type { RunnerEvent } from "../../../src/domain/events.js";
import { SYSTEM_PATH } from "../../../src/domain/host-python.js";
import { createLineSplitter } from "../container/create-line-splitter.js";
import { runTestContainer, type ContainerLimits, type TestContainerResult } from "../container/run-test-container.js";
import type { CellDbTemplate } from "../db-template/prepare-cell-db-template.js";
import { CONTAINER_EVENTS, CONTAINER_WORKSPACE, cellContainerEnv } from "./cell-container-env.js";
import type { CellCheckout } from "./checkout-cell.js";
import { collectHarnessEvents, type HarnessReport } from "./collect-harness-events.js";
import { createOutputTail, type OutputTail } from "./create-output-tail.js";
import type { TestTally } from "./create-test-tally.js";
import { openEventsFile } from "./open-events-file.js";
import { seconds } from "./seconds.js";
import type { CellEnvironmentReady } from "./start-cell-environment.js";
import { tailFile } from "./tail-file.js";

export interface RunCellTestsOptions {
  docker: Docker;
  harnessDir: string;
  user: string;
  limits: ContainerLimits & { logLimitBytes: number; testWorkers?: number };
  maxTestEvents: number;
  maxEventsBytes: number;
  spec: CellSpec;
  jobDir: string;
  checkout: CellCheckout;
  environment: CellEnvironmentReady;
  /** The database service's network (`container:<id>`), or undefined: none. */
  networkMode: string | undefined;
  template: CellDbTemplate | undefined;
  /** When the cell began and when its deadline falls (epoch ms on `now`'s clock). */
  cellStartedAt: number;
  deadlineAt: number;
  signal?: AbortSignal;
  tally: TestTally;
  emit: (event: RunnerEvent) => void;
  system: (line: string) => void;
  now: () => number;
}

export interface CellTestRun {
  outcome: TestContainerResult;
  report: HarnessReport;
  /** The last lines of output per step, for a failed command's summary. */
  outputTail: OutputTail;
  /** Output lines past the log limit. */
  truncatedLines: number;
  /** Wall clock (file times are) before the container started: what the command wrote is newer. */
  containerStartedAt: number;
}

/**
 * Phase "tests" of a cell: the events file (created and opened by the host
 * before the container exists), the workspace handed to the unprivileged
 * test user, then the test container with the harness reporting on its own
 * channel. The container gets what is left of the cell's deadline.
 */
export async function runCellTests(options: RunCellTestsOptions): Promise<CellTestRun> {
  const { spec, jobDir, checkout, environment, template, tally, emit, system, now } = options;
  const eventsPath = path.join(jobDir, "out", "events.jsonl");
  const eventsFile = await openEventsFile(eventsPath);
  try {
    await execa("chown", ["-R", options.user, checkout.workspace.path, path.join(jobDir, "out")], { extendEnv: false, env: { PATH: SYSTEM_PATH } });
    const outputTail = createOutputTail();
    const harness = collectHarnessEvents({ tally, template, system });
    const events = tailFile(eventsFile, harness.onLine, { maxTotalBytes: options.maxEventsBytes });
    // One output budget for both streams.
    const budget = { left: options.limits.logLimitBytes };
    const splitters = {
      stdout: createLineSplitter({ onLine: (line) => (outputTail.push(line), emit({ type: "log", stream: "stdout", line })), budget }),
      stderr: createLineSplitter({ onLine: (line) => (outputTail.push(line), emit({ type: "log", stream: "stderr", line })), budget }),
    };
    // What is left of the cell's deadline (at least a second, so the container starts and is timed out by Docker's clock).
    const remainingSec = Math.max(1, Math.ceil((options.deadlineAt - now()) / 1000));
    let outcome: TestContainerResult;
    const containerStartedAt = Date.now();
    try {
      outcome = await runTestContainer(
        options.docker,
        {
          jobId: spec.jobId,
          image: environment.image,
          cmd: ["python", "/ponyci/harness/ponyci_harness.py"],
          env: { ...environment.containerEnv, ...cellContainerEnv(spec, checkout.pythonPath, options.limits.testWorkers ?? 1), ...template?.env },
          workingDir: CONTAINER_WORKSPACE,
          binds: [
            ...(environment.venvDir ? [`${environment.venvDir}:${VENV_PATH}:ro`] : []),
            `${checkout.workspace.path}:${CONTAINER_WORKSPACE}`,
            `${options.harnessDir}:/ponyci/harness:ro`,
            `${eventsPath}:${CONTAINER_EVENTS}`,
            ...checkout.upstreamBinds,
            ...(template?.binds ?? []),
          ],
          user: options.user,
          limits: { ...options.limits, timeoutSec: remainingSec },
          networkMode: options.networkMode,
        },
        {
          signal: options.signal,
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
    system(`Test container ended (exit code ${outcome.exitCode ?? "none"}) after ${seconds(now() - options.cellStartedAt)} in all`);
    const truncatedLines = splitters.stdout.dropped + splitters.stderr.dropped;
    if (truncatedLines > 0) system(`${truncatedLines} lines of output were dropped (log limit ${options.limits.logLimitBytes} bytes)`);
    if (tally.dropped > 0) system(`${tally.dropped} more test results were dropped (at most ${options.maxTestEvents} per cell)`);
    if (events.truncated) system(`the events file was read up to its limit (${options.maxEventsBytes} bytes); the rest was ignored`);
    return { outcome, report: harness.report, outputTail, truncatedLines, containerStartedAt };
  } finally {
    await eventsFile.close().catch(() => undefined);
  }
}

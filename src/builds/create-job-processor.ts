import type { BuildRequest } from "./build-request.js";
import { fanOut, type BuildListener } from "./build-listener.js";
import { jobPlanOf } from "./job-plan.js";
import type { CellJobPayload } from "./create-build-service.js";
import type { Store } from "../store/store.js";
import type { BuildRecord } from "../store/build-rows.js";
import { createLogBuffer } from "../store/create-log-buffer.js";
import { systemClock, type Clock } from "../store/clock.js";
import type { JobProcessor } from "../queue/job-queue.js";
import { InfrastructureError, InterruptedError } from "../queue/errors.js";
import { silentLogger, type Logger } from "../log/logger.js";
import type { CellRunner, CellSpec } from "../../runner/src/cell/run-cell.js";
import { emptyCounts, type FinishedEvent, type TestResult } from "../domain/events.js";

export interface JobProcessorOptions {
  store: Store;
  runner: CellRunner;
  listeners: BuildListener[];
  /** A token for cloning the build's repository (GitHub installation token), if it needs one. */
  tokenFor?: (build: BuildRecord, request: BuildRequest) => Promise<string | undefined>;
  /** Runs of a job before an infrastructure error is reported as such. Match the queue's maxAttempts. */
  maxAttempts?: number;
  /** At most one progress report per job this often. Default 20 s. */
  progressIntervalMs?: number;
  /** Lines kept for the check run's log tail. */
  logTailLines?: number;
  log?: Logger;
  clock?: Clock;
}

const RESULT_BATCH = 200;

/**
 * The queue's processor for cell jobs: run the cell, record everything in the
 * store as it happens, tell the listeners. Numbered steps:
 * 1. load the job; skip jobs that already ended (cancelled while queued);
 * 2. record the start, run the cell (token, upstream, plan);
 * 3. stream results and log into the store, progress to listeners;
 * 4. on an infrastructure error with attempts left: throw it (the queue
 *    retries); else record the verdict and tell the listeners.
 */
export function createJobProcessor(options: JobProcessorOptions): JobProcessor<CellJobPayload> {
  const { store } = options;
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const maxAttempts = options.maxAttempts ?? 3;
  const progressIntervalMs = options.progressIntervalMs ?? 20_000;
  const tailSize = options.logTailLines ?? 200;
  const notify = fanOut(options.listeners, (error, hook) => log.error({ err: String(error), hook }, "a build listener failed"));

  return async (queued, { signal }) => {
    // 1. Load.
    const existing = store.getJob(queued.payload.jobId);
    if (!existing || existing.state === "finished" || existing.state === "cancelled") return;
    const build = store.getBuild(existing.buildId);
    if (!build) return;
    const request = build.trigger.request as BuildRequest;
    const plan = jobPlanOf(existing);

    // 2. Start.
    const job = store.recordJobStarted(existing.id, clock.now());
    const token = await options.tokenFor?.(build, request);
    const spec: CellSpec = {
      jobId: job.id,
      source: { url: request.repo.cloneUrl, sha: request.sha, token, fetchRefs: request.fetchRefs },
      cell: job.cell,
      testCommand: plan.testCommand,
      install: plan.install,
      extraDeps: plan.extraDeps,
      env: plan.env,
      timeoutSec: plan.timeoutSec,
      onlyTests: plan.onlyTests,
      upstream: request.upstream ? [{ name: request.upstream.repo, url: request.upstream.cloneUrl, sha: request.upstream.sha }] : undefined,
    };

    // 3. Stream.
    const logBuffer = createLogBuffer({ store, jobId: job.id, clock });
    const tail: string[] = [];
    const pendingResults: TestResult[] = [];
    const failures: TestResult[] = [];
    const slowest: TestResult[] = [];
    const counts = emptyCounts();
    let lastProgress = clock.now();
    let finished: FinishedEvent | undefined;
    const flushResults = () => {
      if (pendingResults.length === 0) return;
      store.addTestResults(job.id, pendingResults.splice(0));
    };

    for await (const event of options.runner.runCell(spec, { signal })) {
      switch (event.type) {
        case "started":
          notify.started(build, job);
          lastProgress = clock.now();
          break;
        case "log": {
          const line = event.stream === "system" ? `[ponyci] ${event.line}` : event.line;
          logBuffer.write(line);
          notify.logLine(build, job, line);
          tail.push(line);
          if (tail.length > tailSize) tail.shift();
          break;
        }
        case "test":
          pendingResults.push(event.test);
          notify.testResult(build, job, event.test);
          counts[event.test.outcome]++;
          counts.total++;
          if (event.test.outcome === "failed" || event.test.outcome === "error") failures.push(event.test);
          keepSlowest(slowest, event.test, 5);
          if (pendingResults.length >= RESULT_BATCH) flushResults();
          if (clock.now() - lastProgress >= progressIntervalMs) {
            lastProgress = clock.now();
            flushResults();
            notify.progress(build, job, { ...counts }, failures.slice(0, 50));
          }
          break;
        case "finished":
          finished = event;
          break;
      }
    }
    flushResults();
    logBuffer.flush();
    if (!finished) throw new InfrastructureError(`cell ${job.id} ended without a verdict`);

    // A shutdown interrupts the job: it goes back to the queue, nothing is reported.
    if (signal.aborted && signal.reason instanceof InterruptedError) throw signal.reason;

    // 4. Verdict.
    if (finished.conclusion === "error" && queued.attempt < maxAttempts) {
      const reason = finished.error?.message ?? "infrastructure error";
      notify.retrying(build, job, reason, queued.attempt + 1);
      throw finished.infrastructureError ?? new InfrastructureError(reason);
    }
    const done = store.recordJobFinished({
      jobId: job.id,
      conclusion: finished.conclusion,
      counts: finished.counts,
      error: finished.error ? { ...finished.error, kind: finished.conclusion === "error" ? "infrastructure" : undefined } : undefined,
      at: clock.now(),
    });
    const reported = [...failures, ...slowest.filter((t) => !failures.includes(t))];
    notify.finished({ build: store.getBuild(build.id) ?? build, job: done, finished, tests: reported, logTail: tail });
  };
}

function keepSlowest(slowest: TestResult[], test: TestResult, n: number): void {
  if (test.outcome !== "passed" && test.outcome !== "failed" && test.outcome !== "error") return;
  slowest.push(test);
  slowest.sort((a, b) => b.durationMs - a.durationMs);
  if (slowest.length > n) slowest.pop();
}

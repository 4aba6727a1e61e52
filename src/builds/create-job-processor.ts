import { requestOf } from "../domain/build.js";
import type { BuildRequest } from "../domain/build-request.js";
import { fanOut, type BuildListener, type CellFinished } from "./build-listener.js";
import { jobSpecOf } from "./job-plan.js";
import type { CellJobPayload } from "./create-build-service.js";
import type { Store } from "../store/store.js";
import type { BuildRecord } from "../store/build-rows.js";
import { createLogBuffer } from "../store/create-log-buffer.js";
import { systemClock, type Clock } from "../domain/clock.js";
import type { JobProcessor, QueueHooks } from "../queue/job-queue.js";
import { InfrastructureError, InterruptedError, describeError } from "../domain/errors.js";
import { errorFate } from "../domain/error-fate.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import type { CellRunner, CellSpec } from "../domain/cell-runner.js";
import { emptyCounts, type FinishedEvent, type TestResult } from "../domain/events.js";
import type { FailureAnalyst } from "../history/create-failure-analyst.js";
import { cancelStaleConfirmations } from "./run-confirmation.js";
import { explainFailures } from "./explain-failures.js";
import { judgeCell } from "../history/judge-cell.js";
import { toCellFailures } from "../history/to-cell-failures.js";

export interface JobProcessorOptions {
  store: Store;
  runner: CellRunner;
  listeners: BuildListener[];
  /** A token for cloning the build's repository (GitHub installation token), if it needs one. */
  tokenFor?: (build: BuildRecord, request: BuildRequest) => Promise<string | undefined>;
  /** At most one progress report per job this often. Default 20 s. */
  progressIntervalMs?: number;
  /** Lines kept for the check run's log tail. */
  logTailLines?: number;
  log?: Logger;
  clock?: Clock;
  /** Test history (issue 15): failed-first order, confirmation re-runs, the failures' classification. */
  analyst?: FailureAnalyst;
}

const RESULT_BATCH = 200;
/** Failed tests kept in memory per job for the report (the store has them all). */
const MAX_KEPT_FAILURES = 1000;

/** What the cell jobs' queue runs, and the hooks that record how a failed job ends. */
export interface CellJobHandlers {
  process: JobProcessor<CellJobPayload>;
  hooks: Required<Pick<QueueHooks<CellJobPayload>, "onFailed">>;
  /** End a job as an infrastructure failure without running it again (a job out of attempts when taken back). */
  finishAsInfrastructureError(jobId: string, message: string): void;
}

/** A cell whose run ended in an infrastructure error: the queue decides whether it runs again; the report is for its last run. */
class CellInfrastructureError extends InfrastructureError {
  constructor(
    message: string,
    readonly report: Pick<CellFinished, "finished" | "tests" | "logTail">,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The queue's processor for cell jobs: run the cell, record everything in the
 * store as it happens, tell the listeners. Numbered steps:
 * 1. load the job; skip jobs that already ended (cancelled while queued);
 * 2. record the start, run the cell (token, upstream, plan);
 * 3. stream results and log into the store, progress to listeners;
 * 4. record the verdict and tell the listeners; on an infrastructure error
 *    throw it instead: the queue alone decides whether the job runs again
 *    (`hooks.onFailed` then reports the retry, or records the final failure).
 */
export function createJobProcessor(options: JobProcessorOptions): CellJobHandlers {
  const { store } = options;
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const progressIntervalMs = options.progressIntervalMs ?? 20_000;
  const tailSize = options.logTailLines ?? 200;
  const notify = fanOut(options.listeners, (error, hook) => log.error({ err: error, hook }, "a build listener failed"));

  const process: JobProcessor<CellJobPayload> = async (queued, { signal }) => {
    // 1. Load.
    const existing = store.getJob(queued.payload.jobId);
    if (!existing || existing.state === "finished" || existing.state === "cancelled") return;
    const build = store.getBuild(existing.buildId);
    if (!build) return;
    const request = requestOf(build);

    // 2. Start.
    const job = store.recordJobStarted(existing.id, clock.now());
    notify.preparing(build, job);
    cancelStaleConfirmations(store, job, clock.now());
    const token = await options.tokenFor?.(build, request);
    const spec: CellSpec = {
      jobId: job.id,
      source: { url: request.repo.cloneUrl, sha: request.sha, token, fetchRefs: request.fetchRefs },
      ...jobSpecOf(job),
      firstTests: options.analyst?.firstTestsFor(build, job),
      testOrder: options.analyst?.testOrderFor(build, job),
      testTimings: options.analyst?.testTimingsFor(build, job),
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
          notify.logLine(build, job, line, event.stream);
          tail.push(line);
          if (tail.length > tailSize) tail.shift();
          break;
        }
        case "test":
          pendingResults.push(event.test);
          notify.testResult(build, job, event.test);
          counts[event.test.outcome]++;
          counts.total++;
          // Kept for annotations and summaries only: bounded, whatever the container reports.
          if ((event.test.outcome === "failed" || event.test.outcome === "error") && failures.length < MAX_KEPT_FAILURES) failures.push(event.test);
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
    const reported = [...failures, ...slowest.filter((t) => !failures.includes(t))];
    if (finished.conclusion === "error") {
      const reason = finished.error?.message ?? "infrastructure error";
      throw new CellInfrastructureError(reason, { finished, tests: reported, logTail: tail }, { cause: finished.infrastructureError });
    }
    // Confirm never-seen failures by a re-run, then classify every failure against the base.
    const failureReport = options.analyst ? await explainFailures({ analyst: options.analyst, store, runner: options.runner, clock, log, notify, build, job, spec, finished, signal }) : undefined;
    // The judged verdict is the cell's everywhere (the store, so dashboards, badges and the build's status;
    // the check run; downstream builds): failures that only flaky or quarantined tests account for are red nowhere.
    const judged = judgeCell(finished, failureReport);
    recordFinished(job.id, { finished: judged && judged !== finished.conclusion ? { ...finished, conclusion: judged } : finished, tests: reported, logTail: tail, failureReport });
  };

  const recordFinished = (jobId: string, report: Pick<CellFinished, "finished" | "tests" | "logTail" | "failureReport">): void => {
    const job = store.getJob(jobId);
    if (!job || job.state === "finished" || job.state === "cancelled") return;
    const { finished } = report;
    const done = store.recordJobFinished({
      jobId,
      conclusion: finished.conclusion,
      counts: finished.counts,
      countsUnknown: finished.countsUnknown,
      error: finished.error ? { ...finished.error, kind: finished.conclusion === "error" ? "infrastructure" : undefined } : undefined,
      // Kept with the verdict, for the build page and for notifications decided after a restart.
      failures: report.failureReport ? toCellFailures(report.failureReport) : undefined,
      at: clock.now(),
    });
    const build = store.getBuild(job.buildId);
    if (build) notify.finished({ build, job: done, ...report });
  };

  const finishAsInfrastructureError = (jobId: string, message: string): void => {
    const error = { message: `Infrastructure error: ${message}` };
    recordFinished(jobId, { finished: { type: "finished", conclusion: "error", counts: store.getJob(jobId)?.counts ?? emptyCounts(), durationMs: 0, testDurationMs: 0, error }, tests: [], logTail: [] });
  };

  return {
    process,
    hooks: {
      // The queue has decided; this records it. Cancellations are reported by whoever cancelled, interruptions not at all.
      onFailed: ({ job: queued, error, retrying }) => {
        const fate = errorFate(error);
        if (fate === "cancel" || fate === "interrupt") return;
        const job = store.getJob(queued.payload.jobId);
        const build = job ? store.getBuild(job.buildId) : undefined;
        if (!job || !build) return;
        if (retrying) {
          notify.retrying(build, job, describeError(error), queued.attempt + 1);
        } else if (error instanceof CellInfrastructureError) {
          recordFinished(job.id, error.report);
        } else {
          finishAsInfrastructureError(job.id, describeError(error));
        }
      },
    },
    finishAsInfrastructureError,
  };
}

function keepSlowest(slowest: TestResult[], test: TestResult, n: number): void {
  if (test.outcome !== "passed" && test.outcome !== "failed" && test.outcome !== "error") return;
  slowest.push(test);
  slowest.sort((a, b) => b.durationMs - a.durationMs);
  if (slowest.length > n) slowest.pop();
}

import type { RepoConfigError } from "./config/repo-config-error.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { FinishedEvent, TestCounts, TestResult } from "../domain/events.js";
import type { FailureReport } from "../history/classify-failures.js";

export interface CellFinished {
  build: BuildRecord;
  job: JobRecord;
  finished: FinishedEvent;
  /** Failed and erroring tests (with locations) and the slowest ones. */
  tests: TestResult[];
  /** The last lines of the cell's log. */
  logTail: string[];
  /**
   * Why each test failed, against the cell's base (issue 15); with it the
   * cell's conclusion from its tests. Undefined when nothing failed, or when
   * the cell did not run to a test verdict.
   */
  failureReport?: FailureReport;
}

/**
 * What reporters (GitHub check runs, dashboards, downstream triggers) hear
 * about builds. Reporters never decide anything about a build and never
 * throw into it: a listener's error is logged and ignored. Calls for one job
 * come in order: planned → preparing → started → progress* → finished (or cancelled).
 */
export interface BuildListener {
  planned?(build: BuildRecord, jobs: JobRecord[], notes: string[]): void;
  configError?(build: BuildRecord, error: RepoConfigError): void;
  /** The job was taken from the queue: its services, checkout and environment are being prepared (`started` follows when the tests run). */
  preparing?(build: BuildRecord, job: JobRecord): void;
  started?(build: BuildRecord, job: JobRecord): void;
  progress?(build: BuildRecord, job: JobRecord, counts: TestCounts, failures: TestResult[]): void;
  /**
   * Every log line of a running job, as written to its log (live dashboards),
   * and whose it is: Pony CI's own (`system`, written with a "[ponyci] "
   * prefix) or the test command's. Must be cheap.
   */
  logLine?(build: BuildRecord, job: JobRecord, line: string, stream?: "stdout" | "stderr" | "system"): void;
  /** Every test result of a running job, as it arrives (live dashboards). Must be cheap. */
  testResult?(build: BuildRecord, job: JobRecord, test: TestResult): void;
  retrying?(build: BuildRecord, job: JobRecord, reason: string, attempt: number): void;
  /** The cell's failures had never been seen before: these tests run again once before the cell is judged. */
  confirming?(build: BuildRecord, job: JobRecord, testIds: string[]): void;
  /** A job taken back after the process that ran it died: it runs again. */
  restarted?(build: BuildRecord, job: JobRecord): void;
  /** A running job put back in the queue by a graceful shutdown: it runs again at the next start. */
  interrupted?(build: BuildRecord, job: JobRecord): void;
  finished?(event: CellFinished): void;
  /** A job that ended without running (superseded or cancelled while queued). */
  cancelled?(build: BuildRecord, job: JobRecord, reason: string): void;
}

/** Calls every listener, isolating their failures. */
export function fanOut(listeners: BuildListener[], onError: (error: unknown, hook: string) => void): Required<BuildListener> {
  const call =
    <K extends keyof BuildListener>(hook: K) =>
    (...args: Parameters<NonNullable<BuildListener[K]>>) => {
      for (const listener of listeners) {
        const fn = listener[hook] as ((...a: unknown[]) => void) | undefined;
        if (!fn) continue;
        try {
          fn.apply(listener, args);
        } catch (error) {
          onError(error, hook);
        }
      }
    };
  return {
    planned: call("planned"),
    configError: call("configError"),
    preparing: call("preparing"),
    started: call("started"),
    progress: call("progress"),
    logLine: call("logLine"),
    testResult: call("testResult"),
    retrying: call("retrying"),
    confirming: call("confirming"),
    restarted: call("restarted"),
    interrupted: call("interrupted"),
    finished: call("finished"),
    cancelled: call("cancelled"),
  };
}

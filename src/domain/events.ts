/**
 * What a running cell reports, in order: one `started`, any number of `log`
 * and `test` events, then exactly one `finished`. Consumers (the CLI, the
 * store, the GitHub reporter) never see anything after `finished`.
 */
import type { Cell } from "./cell.js";

export type TestOutcome = "passed" | "failed" | "error" | "skipped" | "xfail" | "xpass";

/** Where in the repository a test failed: path relative to the repo root, 1-based line. */
export interface SourceLocation {
  path: string;
  line: number;
}

export interface TestResult {
  /** Runner-native id: "polls.tests.QuestionTests.test_x" (Django) or "tests/test_a.py::test_x" (pytest). */
  id: string;
  outcome: TestOutcome;
  durationMs: number;
  message?: string;
  traceback?: string;
  location?: SourceLocation;
}

export interface TestCounts {
  passed: number;
  failed: number;
  error: number;
  skipped: number;
  xfail: number;
  xpass: number;
  total: number;
}

/**
 * success: every test passed. failure: a test failed or errored, or the suite
 * could not start (import error, bad settings: see `error`). cancelled: asked
 * to stop. timed_out: hit the wall-clock limit. error: infrastructure (Docker,
 * environment build) failed; never the project's fault. neutral: the tests
 * failed, or timed out, in a cell whose tox env sets `ignore_outcome`.
 */
export type Conclusion = "success" | "failure" | "cancelled" | "timed_out" | "error" | "neutral";

export interface StartedEvent {
  type: "started";
  jobId: string;
  cell: Cell;
  /** Environment image the container runs (cached by content hash). */
  image: string;
  /** True when the environment was built for this cell, false when it came from the cache (metrics). */
  environmentBuilt?: boolean;
  at: number;
}

export interface LogEvent {
  type: "log";
  stream: "stdout" | "stderr" | "system";
  line: string;
}

export interface TestEvent {
  type: "test";
  test: TestResult;
}

export interface FinishedEvent {
  type: "finished";
  conclusion: Conclusion;
  counts: TestCounts;
  /** Wall time of the whole cell (checkout, environment, container). */
  durationMs: number;
  /** Test time measured by the harness inside the container. */
  testDurationMs: number;
  /** Set when the suite could not start, or on infrastructure errors. */
  error?: { message: string; location?: SourceLocation; traceback?: string };
  /** Container exit code as Docker reported it, when a container ran. */
  exitCode?: number;
  /** What the reader of the verdict should know, one sentence each: what was not honoured or changed the verdict (the planner's notes, ignore_outcome), earlier attempts ("Retried after runner X was lost."). */
  notes?: string[];
  /**
   * No runner Pony CI can read ran (no Django, unittest or pytest run, no
   * JUnit XML written): `counts` are zeros that mean "unknown", never "0
   * passed". The conclusion is still the command's exit code (see
   * docs/architecture.md, "Counts unknown").
   */
  countsUnknown?: boolean;
  /** Lines of output dropped because the cell exceeded the log limit. */
  truncatedLines?: number;
  /** With conclusion "error": the infrastructure failure, for the caller's retry decision. */
  infrastructureError?: Error;
}

export type RunnerEvent = StartedEvent | LogEvent | TestEvent | FinishedEvent;

export function emptyCounts(): TestCounts {
  return { passed: 0, failed: 0, error: 0, skipped: 0, xfail: 0, xpass: 0, total: 0 };
}

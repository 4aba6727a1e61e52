import type { Conclusion, FinishedEvent, SourceLocation, TestCounts } from "../../../src/domain/events.js";
import { visible } from "./create-output-tail.js";

export interface ContainerOutcome {
  /** Exit code Docker reported; undefined when the container never finished. */
  exitCode?: number;
  oomKilled: boolean;
  timedOut: boolean;
  cancelled: boolean;
  timeoutSec: number;
  memoryBytes: number;
}

export interface HarnessOutcome {
  /** The harness wrote its `end` event. */
  ended: boolean;
  /** The command that failed the run (the harness's `command` event) and the last lines it printed. */
  failedCommand?: { step: string; command: string[]; exitCode: number; output: string[] };
  counts: TestCounts;
  crash?: { message: string; location?: SourceLocation; traceback?: string };
  /** No runner Pony CI reads ran: zero counts mean nothing. */
  countsUnknown?: boolean;
}

/**
 * Decide a cell's verdict from what Docker and the harness reported. Pure.
 * Precedence: cancel, then timeout, then resource kills, then the tests.
 * Exit codes come from Docker, never from parsing output.
 */
export function decideConclusion(container: ContainerOutcome, harness: HarnessOutcome): Pick<FinishedEvent, "conclusion" | "error"> {
  if (container.cancelled) return { conclusion: "cancelled" };
  if (container.timedOut) {
    return { conclusion: "timed_out", error: { message: `Timed out after ${formatSeconds(container.timeoutSec)}: the tests were stopped` } };
  }
  if (container.oomKilled) {
    return {
      conclusion: "failure",
      error: { message: `Out of memory: the test process was killed at the cell's ${formatBytes(container.memoryBytes)} limit` },
    };
  }
  if (harness.crash) return { conclusion: "failure", error: harness.crash };
  const failing = harness.counts.failed + harness.counts.error;
  const exitCode = container.exitCode ?? -1;
  if (!harness.ended) {
    return {
      conclusion: "failure",
      error: { message: `The test process ended abruptly (exit code ${exitCode}) before reporting its results${exitCode === 137 ? ": it was killed (SIGKILL)" : ""}` },
    };
  }
  if (failing > 0) return { conclusion: "failure" };
  if (exitCode !== 0) {
    // unittest counts an unexpected success as a failure of the run; pytest does not (unless strict).
    const why = harness.counts.xpass > 0 ? `${harness.counts.xpass} unexpected success(es)` : "no test failed";
    const failed = harness.failedCommand;
    if (!failed) return { conclusion: "failure", error: { message: `The test command exited with code ${exitCode} (${harness.countsUnknown ? "its tests could not be read" : why})` } };
    // The command and its last output lines say why (`coverage: not found`), bounded and made visible.
    const command = visible(failed.command.join(" "), 300);
    const message = `${failed.step === "test command" ? "The test command" : `tox ${failed.step}`} \`${command}\` exited with code ${failed.exitCode} (${why})`;
    const output = failed.output.length > 0 ? `\n\nIts last ${failed.output.length === 1 ? "line" : `${failed.output.length} lines`} of output:\n${failed.output.join("\n")}` : "\n\nIt printed nothing.";
    return { conclusion: "failure", error: { message, traceback: `${message}${output}` } };
  }
  if (harness.countsUnknown) {
    // A green that says nothing is worse than none: a command that passed without a
    // test Pony CI could read is neutral (grey), never success; the run's note says why.
    return { conclusion: "neutral" };
  }
  return { conclusion: "success" };
}

export function formatSeconds(sec: number): string {
  if (sec % 3600 === 0 && sec >= 3600) return `${sec / 3600} h`;
  if (sec % 60 === 0 && sec >= 60) return `${sec / 60} min`;
  return `${sec} s`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  return `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/** Conclusion type re-exported for callers that only decide. */
export type { Conclusion };

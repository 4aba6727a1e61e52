import type { FinishedEvent, RunnerEvent } from "../../src/domain/events.js";
import { parseDjangoTestTime } from "./parse-django-test-time.js";
import type { TimedLine } from "./attribute-cell-time.js";

/** One cell run as a benchmark sees it. Times are performance.now() milliseconds. */
export interface CellRun {
  /** From just before runCell was called to the end of its event stream. */
  wallMs: number;
  finished: FinishedEvent;
  /** The image the cell's container ran (from `started`): the base image, the environment is mounted on it. */
  image?: string;
  /** Django's "Ran N tests in X s", from the cell's own output. */
  django?: { tests: number; ms: number };
  /** When `started` (container started) and `finished` arrived, relative to the call. */
  startedAtMs?: number;
  finishedAtMs: number;
  /** The cell's system lines, each with when it came (ms since the call): see attributeCellTime. */
  systemLines: TimedLine[];
}

/**
 * Consume a runCell event stream to its end. `begin` is the performance.now()
 * taken just before runCell was called. Throws when the stream ends without
 * `finished` (a runner contract breach).
 */
export async function collectCellRun(events: AsyncIterable<RunnerEvent>, begin: number): Promise<CellRun> {
  let finished: FinishedEvent | undefined;
  let image: string | undefined;
  let startedAtMs: number | undefined;
  let finishedAtMs = NaN;
  let django: CellRun["django"];
  const systemLines: TimedLine[] = [];
  // PONYCI_BENCH_TRACE=1: every system line of the cell, with the time since the call (where a cold cell spends its time).
  const trace = process.env.PONYCI_BENCH_TRACE === "1";
  for await (const event of events) {
    if (event.type === "log" && event.stream === "system") systemLines.push({ ms: performance.now() - begin, line: event.line });
    if (trace && event.type === "log" && event.stream === "system") console.log(`    +${(performance.now() - begin).toFixed(0).padStart(5)} ms  ${event.line}`);
    if (event.type === "started") {
      image = event.image;
      startedAtMs = performance.now() - begin;
    } else if (event.type === "log" && event.stream !== "system" && event.line.startsWith("Ran ")) {
      django = parseDjangoTestTime(event.line) ?? django;
    } else if (event.type === "finished") {
      finished = event;
      finishedAtMs = performance.now() - begin;
    }
  }
  const wallMs = performance.now() - begin;
  if (!finished) throw new Error("runCell ended without a finished event");
  return { wallMs, finished, image, django, startedAtMs, finishedAtMs, systemLines };
}

/** Throws with the cell's own error unless it concluded "success" (a benchmark of a broken cell measures nothing). */
export function assertCellSucceeded(run: CellRun, what: string): void {
  if (run.finished.conclusion === "success") return;
  const reason = run.finished.error?.message ?? `exit code ${run.finished.exitCode ?? "?"}`;
  throw new Error(`${what}: the cell concluded ${run.finished.conclusion} (${reason}); fix that before benchmarking`);
}

/**
 * Builders for check-run rendering tests: test results, counts and finished
 * events shaped like the runner's (runner/src/events.ts).
 */
import type { FinishedEvent, TestCounts, TestOutcome, TestResult } from "../../src/domain/events.js";
import type { Cell } from "../../src/domain/cell.js";

export const CELL: Cell = { python: "3.13", django: "5.2" };

/** A test result; failed/error ones get a message, a traceback and a location unless overridden. */
export function testResult(id: string, outcome: TestOutcome, overrides: Partial<TestResult> = {}): TestResult {
  const failing = outcome === "failed" || outcome === "error";
  return {
    id,
    outcome,
    durationMs: 10,
    ...(failing
      ? {
          message: `AssertionError: ${id} broke`,
          traceback: `Traceback (most recent call last):\n  File "/workspace/polls/tests.py", line 12, in ${id}\n    self.assertEqual(1, 2)\nAssertionError: 1 != 2`,
          location: { path: "polls/tests.py", line: 12 },
        }
      : {}),
    ...overrides,
  };
}

/** `count` results of one outcome, with ids "polls.tests.T.test_<prefix><i>". */
export function testResults(count: number, outcome: TestOutcome, prefix = outcome): TestResult[] {
  return Array.from({ length: count }, (_, i) =>
    testResult(`polls.tests.T.test_${prefix}${i}`, outcome, outcome === "failed" || outcome === "error" ? { location: { path: "polls/tests.py", line: i + 1 } } : {}),
  );
}

/** Counts of a list of results. */
export function countsOf(tests: readonly TestResult[]): TestCounts {
  const counts: TestCounts = { passed: 0, failed: 0, error: 0, skipped: 0, xfail: 0, xpass: 0, total: tests.length };
  for (const t of tests) counts[t.outcome === "passed" ? "passed" : t.outcome === "failed" ? "failed" : t.outcome === "error" ? "error" : t.outcome === "skipped" ? "skipped" : t.outcome === "xfail" ? "xfail" : "xpass"]++;
  return counts;
}

/** A finished event for `tests`; the conclusion defaults to what the counts say. */
export function finishedEvent(tests: readonly TestResult[], overrides: Partial<FinishedEvent> = {}): FinishedEvent {
  const counts = countsOf(tests);
  return {
    type: "finished",
    conclusion: counts.failed + counts.error > 0 ? "failure" : "success",
    counts,
    durationMs: 62_000,
    testDurationMs: 4_600,
    exitCode: counts.failed + counts.error > 0 ? 1 : 0,
    ...overrides,
  };
}

/**
 * Splits Markdown at fenced code blocks the way CommonMark does for backtick
 * fences: a block opens with ≥ 3 backticks at the start of a line and closes
 * at the first line of only backticks at least as long. Returns the text
 * outside fences and the content of each block.
 */
export function splitFences(markdown: string): { outside: string; blocks: string[] } {
  const outside: string[] = [];
  const blocks: string[] = [];
  let open: { fence: number; lines: string[] } | undefined;
  for (const line of markdown.split("\n")) {
    if (open) {
      const close = /^(`+)\s*$/.exec(line);
      if (close?.[1] && close[1].length >= open.fence) {
        blocks.push(open.lines.join("\n"));
        open = undefined;
      } else {
        open.lines.push(line);
      }
      continue;
    }
    const start = /^(`{3,})[^`]*$/.exec(line);
    if (start?.[1]) open = { fence: start[1].length, lines: [] };
    else outside.push(line);
  }
  if (open) throw new Error("unclosed code fence");
  return { outside: outside.join("\n"), blocks };
}

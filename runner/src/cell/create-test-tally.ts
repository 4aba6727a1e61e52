import { emptyCounts, type RunnerEvent, type TestCounts, type TestResult } from "../../../src/domain/events.js";

/**
 * The cell's test results, counted as they stream past and never kept: a
 * container may report millions of tests. Past `maxTestEvents` a result is
 * counted as dropped and not emitted.
 */
export interface TestTally {
  readonly counts: TestCounts;
  readonly dropped: number;
  /**
   * Count `test` and emit it, unless the cell already reported `maxTestEvents`
   * (`bounded: false`: the source bounds itself, as the JUnit reader does).
   */
  record(test: TestResult, options?: { bounded?: boolean }): void;
}

export function createTestTally(options: { maxTestEvents: number; emit: (event: RunnerEvent) => void }): TestTally {
  const counts = emptyCounts();
  let dropped = 0;
  return {
    counts,
    get dropped() {
      return dropped;
    },
    record(test, { bounded = true } = {}) {
      if (bounded && counts.total >= options.maxTestEvents) {
        dropped++;
        return;
      }
      counts[test.outcome]++;
      counts.total++;
      options.emit({ type: "test", test });
    },
  };
}

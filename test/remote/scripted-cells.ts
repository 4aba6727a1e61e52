/**
 * A CellRunner for scale-out tests where Docker is not the point: each cell
 * reports `started`, two tests, then holds until the test releases it (or
 * its signal aborts, finishing "cancelled"). Records who ran what.
 */
import { emptyCounts, type RunnerEvent } from "../../src/domain/events.js";
import type { CellRunner } from "../../src/domain/cell-runner.js";

export interface ScriptedCells {
  cells: CellRunner;
  /** Job ids this runner started, in order. */
  readonly ran: string[];
  /** Job ids whose signal aborted here. */
  readonly aborted: string[];
  release(jobId: string): void;
  /** Every cell from now on finishes without holding. */
  releaseAll(): void;
}

export function createScriptedCells(): ScriptedCells {
  const ran: string[] = [];
  const aborted: string[] = [];
  const waiters = new Map<string, () => void>();
  const released = new Set<string>();
  let all = false;
  return {
    ran,
    aborted,
    release: (jobId) => {
      released.add(jobId);
      waiters.get(jobId)?.();
    },
    releaseAll: () => {
      all = true;
      for (const wake of waiters.values()) wake();
    },
    cells: {
      runCell(spec, { signal } = {}) {
        return (async function* (): AsyncGenerator<RunnerEvent> {
          ran.push(spec.jobId);
          yield { type: "started", jobId: spec.jobId, cell: spec.cell, image: "scripted", at: Date.now() };
          yield { type: "log", stream: "stdout", line: `running ${spec.jobId}` };
          yield { type: "test", test: { id: "app.tests.T.test_one", outcome: "passed", durationMs: 1 } };
          if (!all && !released.has(spec.jobId)) {
            await new Promise<void>((resolve) => {
              waiters.set(spec.jobId, resolve);
              signal?.addEventListener("abort", () => resolve(), { once: true });
            });
          }
          if (signal?.aborted) {
            aborted.push(spec.jobId);
            yield { type: "finished", conclusion: "cancelled", counts: emptyCounts(), durationMs: 1, testDurationMs: 0 };
            return;
          }
          const counts = { ...emptyCounts(), passed: 1, total: 1 };
          yield { type: "finished", conclusion: "success", counts, durationMs: 2, testDurationMs: 1 };
        })();
      },
    },
  };
}

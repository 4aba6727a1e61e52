import { tmpdir } from "node:os";
import path from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import type { LocalRunner } from "../../runner/src/create-local-runner.js";
import { emptyCounts, type RunnerEvent, type TestResult } from "../../src/domain/events.js";

/** A running cell of the steered runner. */
export interface SteeredCell {
  jobId: string;
  /** The cell prints a line (a runner "log" event). */
  print(line: string): void;
  /** A test result arrives. */
  report(test: TestResult): void;
  /** The cell ends; its conclusion follows from the results (failure if any failed). */
  finish(): void;
}

/**
 * A runner whose cells (like bench/support/create-dummy-runner.ts, a
 * stand-in for the Docker backend) start at once and then do what the test
 * says: print lines, report tests, finish. The real job processor, store and
 * listeners run around it, so pages see exactly the events a Docker cell
 * would cause. Planning reads the repository with the real git checkout.
 */
export function createSteeredRunner(): { runner: LocalRunner; cell(jobId: string): SteeredCell | undefined; running(): SteeredCell[] } {
  const cells = new Map<string, SteeredCell>();
  const runner: LocalRunner = {
    docker: createDocker(),
    checkout: createCheckout({ cacheDir: path.join(tmpdir(), "ponyci-test-data", "git") }),
    cells: {
      runCell(spec, { signal } = {}) {
        const queue: RunnerEvent[] = [];
        let wake: (() => void) | undefined;
        const push = (event: RunnerEvent) => {
          queue.push(event);
          wake?.();
        };
        const counts = emptyCounts();
        const cell: SteeredCell = {
          jobId: spec.jobId,
          print: (line) => push({ type: "log", stream: "stdout", line }),
          report: (test) => {
            counts[test.outcome]++;
            counts.total++;
            push({ type: "test", test });
          },
          finish: () => push({ type: "finished", conclusion: counts.failed + counts.error > 0 ? "failure" : "success", counts: { ...counts }, durationMs: 10, testDurationMs: 5 }),
        };
        signal?.addEventListener("abort", () => push({ type: "finished", conclusion: "cancelled", counts: { ...counts }, durationMs: 10, testDurationMs: 5 }), { once: true });
        cells.set(spec.jobId, cell);
        return (async function* (): AsyncGenerator<RunnerEvent> {
          yield { type: "started", jobId: spec.jobId, cell: spec.cell, image: "scripted", at: Date.now() };
          try {
            for (;;) {
              const event = queue.shift();
              if (!event) {
                await new Promise<void>((resolve) => (wake = resolve));
                continue;
              }
              yield event;
              if (event.type === "finished") return;
            }
          } finally {
            cells.delete(spec.jobId);
          }
        })();
      },
    },
  };
  return { runner, cell: (jobId) => cells.get(jobId), running: () => [...cells.values()] };
}

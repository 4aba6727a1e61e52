import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import type { LocalRunner } from "../../runner/src/create-local-runner.js";
import { emptyCounts, type RunnerEvent, type TestResult } from "../../src/domain/events.js";

/**
 * A scriptable stand-in for the Docker backend (like Woodpecker's dummy
 * backend): each cell "runs" instantly (or holds `holdMs`) with `failures` failed tests. Used
 * where a benchmark measures the app around the runner, not the runner.
 */
export function createDummyRunner(dataDir: string, script: { failures?: number; passes?: number; holdMs?: number } = {}): LocalRunner {
  const checkout = createCheckout({ cacheDir: `${dataDir}/git` });
  return {
    docker: createDocker(),
    checkout,
    cells: {
      runCell(spec, { signal } = {}) {
        return (async function* (): AsyncGenerator<RunnerEvent> {
          yield { type: "started", jobId: spec.jobId, cell: spec.cell, image: "dummy", at: Date.now() };
          if (script.holdMs) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, script.holdMs);
              signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
            });
            if (signal?.aborted) {
              yield { type: "finished", conclusion: "cancelled", counts: emptyCounts(), durationMs: 0, testDurationMs: 0 };
              return;
            }
          }
          const counts = emptyCounts();
          for (let i = 0; i < (script.passes ?? 10); i++) {
            counts.passed++;
            counts.total++;
            yield { type: "test", test: { id: `app.tests.T.test_ok_${i}`, outcome: "passed", durationMs: 1 } };
          }
          for (let i = 0; i < (script.failures ?? 0); i++) {
            const test: TestResult = { id: `app.tests.T.test_bad_${i}`, outcome: "failed", durationMs: 2, message: `AssertionError: ${i} != ${i + 1}`, location: { path: "app/tests.py", line: 10 + i } };
            counts.failed++;
            counts.total++;
            yield { type: "test", test };
          }
          yield { type: "finished", conclusion: counts.failed > 0 ? "failure" : "success", counts, durationMs: 5, testDurationMs: 3 };
        })();
      },
    },
  };
}

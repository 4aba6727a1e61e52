import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import type { CellSpec } from "../../src/domain/cell-runner.js";
import type { LocalRunner } from "../../runner/src/create-local-runner.js";
import { cellKey } from "../../src/domain/cell.js";
import { emptyCounts, type RunnerEvent, type TestOutcome, type TestResult } from "../../src/domain/events.js";

/**
 * What each test does at a commit: one outcome for every attempt, or one
 * per attempt (the last repeats): `{ "t.a": "passed", "t.b": ["failed", "passed"] }`.
 */
export type CommitScript = Record<string, TestOutcome | TestOutcome[]>;

/** A script under this key holds its cell running until it is cancelled (merge groups destroyed, supersede). */
export const HOLD = "hold";

/** One run the scripted runner was asked for. */
export interface ScriptedRun {
  sha: string;
  cellKey: string;
  attempt: number;
  onlyTests?: string[];
  firstTests?: string[];
  /** Test ids in the order they were reported. */
  order: string[];
}

/**
 * A runner backend scripted per commit, like Woodpecker's dummy backend:
 * where Docker is not the point (the failure analysis is), a cell "runs"
 * instantly with the outcomes its commit's script gives for this attempt,
 * honouring onlyTests (only those run) and firstTests (those first, as the
 * harness does). Failing tests get a message and a location in
 * polls/tests.py; durations are fixed so check-run output is stable.
 * Scripts are looked up as "<sha>/<cellKey>" first (cells that differ),
 * then "<sha>"; a script with the key HOLD keeps the cell running until
 * its signal aborts (then it ends cancelled).
 */
export function createScriptedRunner(dataDir: string, scripts: () => ReadonlyMap<string, CommitScript>): LocalRunner & { runs: ScriptedRun[] } {
  const runs: ScriptedRun[] = [];
  const attempts = new Map<string, number>();
  return {
    runs,
    docker: createDocker(),
    checkout: createCheckout({ cacheDir: `${dataDir}/git` }),
    cells: {
      runCell(spec: CellSpec, { signal }: { signal?: AbortSignal } = {}) {
        return (async function* (): AsyncGenerator<RunnerEvent> {
          const key = `${spec.source.sha}/${cellKey(spec.cell)}`;
          const attempt = (attempts.get(key) ?? 0) + 1;
          attempts.set(key, attempt);
          const script = scripts().get(`${spec.source.sha}/${cellKey(spec.cell)}`) ?? scripts().get(spec.source.sha);
          if (!script) throw new Error(`the scenario has no outcomes for commit ${spec.source.sha}`);
          yield { type: "started", jobId: spec.jobId, cell: spec.cell, image: "scripted", at: Date.now() };
          if (HOLD in script) {
            runs.push({ sha: spec.source.sha, cellKey: cellKey(spec.cell), attempt, order: [] });
            if (!signal?.aborted) await new Promise((resolve) => signal?.addEventListener("abort", resolve, { once: true }));
            yield { type: "finished", conclusion: "cancelled", counts: emptyCounts(), durationMs: 40, testDurationMs: 0 };
            return;
          }
          let ids = Object.keys(script);
          if (spec.onlyTests) ids = ids.filter((id) => spec.onlyTests?.includes(id));
          if (spec.firstTests) ids = [...ids.filter((id) => spec.firstTests?.includes(id)), ...ids.filter((id) => !spec.firstTests?.includes(id))];
          const run: ScriptedRun = { sha: spec.source.sha, cellKey: cellKey(spec.cell), attempt, order: ids, ...(spec.onlyTests ? { onlyTests: spec.onlyTests } : {}), ...(spec.firstTests ? { firstTests: spec.firstTests } : {}) };
          runs.push(run);
          const counts = emptyCounts();
          for (const id of ids) {
            const planned = script[id] as TestOutcome | TestOutcome[];
            const outcome = Array.isArray(planned) ? (planned[Math.min(attempt, planned.length) - 1] as TestOutcome) : planned;
            const test: TestResult = { id, outcome, durationMs: 2 };
            if (outcome === "failed" || outcome === "error") {
              test.message = `AssertionError: ${id.split(".").at(-1) ?? id} broke`;
              test.location = { path: "polls/tests.py", line: 10 + Object.keys(script).indexOf(id) };
            }
            counts[outcome]++;
            counts.total++;
            yield { type: "test", test };
          }
          const failed = counts.failed + counts.error > 0;
          yield { type: "finished", conclusion: failed ? "failure" : "success", counts, durationMs: 40, testDurationMs: 20, exitCode: failed ? 1 : 0 };
        })();
      },
    },
  };
}

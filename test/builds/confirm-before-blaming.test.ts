import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BuildRequest } from "../../src/domain/build-request.js";
import type { CellFinished } from "../../src/builds/build-listener.js";
import { createJobProcessor } from "../../src/builds/create-job-processor.js";
import { jobTestPlanOf } from "../../src/history/job-test-plan.js";
import { createFailureAnalyst } from "../../src/history/create-failure-analyst.js";
import { InterruptedError } from "../../src/domain/errors.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { createScriptedRunner, type CommitScript } from "../support/create-scripted-runner.js";
import { makeTempDir } from "../store/temp-dir.js";

const CELL = { python: "3.11", django: "5.2" };

/** The job processor's confirmation re-run, with a real store and a scripted runner. */
describe("confirm before blaming (job processor)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  const scripts = new Map<string, CommitScript>();
  const runner = createScriptedRunner(mkdtempSync(path.join(tmpdir(), "ponyci-scripted-")), () => scripts);
  beforeEach(() => {
    temp = makeTempDir();
    store = openStore({ dataDir: temp.dir });
    runner.runs.length = 0;
  });
  afterEach(() => {
    store.close();
    temp.remove();
  });

  function submit(sha: string, script: CommitScript) {
    scripts.set(sha, script);
    const request = { source: "github", repo: { name: `o/${sha}`, cloneUrl: "x", visibility: "public" }, sha, branch: "main", event: "push", base: { branch: "main" } } as BuildRequest;
    const { jobs } = store.createBuild({ repo: `o/${sha}`, source: "github", visibility: "public", sha, branch: "main", event: "push", trigger: { request }, jobs: [{ cell: CELL }] });
    return jobs[0]?.id ?? "";
  }

  function processor(heard: { confirming: string[][]; finished: CellFinished[] }) {
    return createJobProcessor({
      store,
      runner: runner.cells,
      analyst: createFailureAnalyst({ store }),
      listeners: [{ confirming: (_b, _j, ids) => heard.confirming.push(ids), finished: (event) => heard.finished.push(event) }],
    });
  }

  it("re-runs only the never-seen failures once, keeps both attempts, and reports the cell once, with both", async () => {
    const jobId = submit("c1", { "t.ok": "passed", "t.flaky": ["failed", "passed"], "t.bad": "failed" });
    const heard = { confirming: [] as string[][], finished: [] as CellFinished[] };
    await processor(heard).process({ id: jobId, payload: { jobId }, attempt: 1 }, { signal: new AbortController().signal });

    expect(heard.confirming).toEqual([["t.flaky", "t.bad"]]);
    expect(runner.runs.map((r) => r.onlyTests)).toEqual([undefined, ["t.flaky", "t.bad"]]);
    const jobs = store.listJobs(store.getJob(jobId)?.buildId ?? 0);
    expect(jobs.map((j) => [j.state, j.conclusion, jobTestPlanOf(j).confirms])).toEqual([["finished", "failure", undefined], ["finished", "failure", jobId]]);
    expect(store.listTestResults(jobs[1]?.id ?? "").map((t) => [t.id, t.outcome])).toEqual([["t.flaky", "passed"], ["t.bad", "failed"]]);
    expect(heard.finished).toHaveLength(1);
    expect(heard.finished[0]?.job.id).toBe(jobId);
    expect(heard.finished[0]?.failureReport).toMatchObject({
      headline: "1 failure with no base to compare, 1 flaky",
      conclusion: "failure",
      confirmation: { jobId: jobs[1]?.id, tests: 2, counts: { passed: 1, failed: 1 } },
    });
    // The buckets are stored with the cell's verdict (the build page and a notification decided after a restart read them).
    expect(store.listCellFailures(jobs[0]?.buildId ?? 0).get(jobId)).toMatchObject({
      headline: "1 failure with no base to compare, 1 flaky",
      tests: [{ id: "t.bad", bucket: "no-base" }, { id: "t.flaky", bucket: "flaky" }],
    });
  });

  it("cancels a confirmation a dead process left running when the cell runs again, and makes a fresh one", async () => {
    const jobId = submit("c2", { "t.bad": "failed" });
    const job = store.getJob(jobId);
    const [stale] = store.createJobs(job?.buildId ?? 0, [{ id: `${jobId}-c0`, cell: CELL, external: { confirms: jobId, onlyTests: ["t.bad"] } }]);
    store.recordJobStarted(stale?.id ?? "");
    const heard = { confirming: [] as string[][], finished: [] as CellFinished[] };
    await processor(heard).process({ id: jobId, payload: { jobId }, attempt: 2 }, { signal: new AbortController().signal });
    expect(store.getJob(stale?.id ?? "")?.state).toBe("cancelled");
    expect(store.listJobs(job?.buildId ?? 0).map((j) => j.state)).toEqual(["finished", "cancelled", "finished"]);
  });

  it("a shutdown during the confirmation puts the cell back in the queue, reporting nothing", async () => {
    const jobId = submit("c3", { "t.bad": "failed" });
    const heard = { confirming: [] as string[][], finished: [] as CellFinished[] };
    const controller = new AbortController();
    const listeners = [{ confirming: () => controller.abort(new InterruptedError("shutting down")) }];
    const run = createJobProcessor({ store, runner: runner.cells, analyst: createFailureAnalyst({ store }), listeners: [...listeners, { finished: (e: CellFinished) => heard.finished.push(e) }] }).process;
    await expect(run({ id: jobId, payload: { jobId }, attempt: 1 }, { signal: controller.signal })).rejects.toBeInstanceOf(InterruptedError);
    expect(heard.finished).toEqual([]);
    expect(store.getJob(jobId)?.state).toBe("running");
  });
});

/**
 * `ponyci run` on the server's engine (issue 24 item 3): the build service
 * plans the CLI's request, the embedded queue in the CLI's own store runs
 * its cells through the job processor, and listeners report. A real git
 * repository and store; cells are scripted (createScriptedRunner), as
 * Docker is not the point here (test/cli/run-command.test.ts runs real cells).
 */
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import type { BuildListener, CellFinished } from "../../src/builds/build-listener.js";
import { cliBuildRequest } from "../../src/cli/cli-build-request.js";
import { cliDataDir, runOnEngine, type RunOnEngineOptions } from "../../src/cli/run-on-engine.js";
import { createReportListener } from "../../src/cli/create-report-listener.js";
import { openStore, STORE_FILE } from "../../src/store/open-store.js";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { createScriptedRunner, HOLD, type CommitScript } from "../support/create-scripted-runner.js";
import { testDjangoSupport } from "../support/django-support-table.js";
import { makeTempDir } from "../store/temp-dir.js";
import { silentLogger } from "../../src/domain/logger.js";
import { CancelledError } from "../../src/domain/errors.js";

const planning = { maxCells: 24, djangoSupport: testDjangoSupport };
const source = (repo: FixtureRepo, sha = repo.sha) => ({ url: repo.dir, sha, label: repo.dir, name: repo.dir });

describe("ponyci run on the engine", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let repo: FixtureRepo;
  const scripts = new Map<string, CommitScript>();
  beforeEach(async () => {
    temp = makeTempDir();
    repo = await createFixtureRepo("django-pass");
    scripts.clear();
  });
  afterEach(() => temp.remove());

  const engine = (runner: ReturnType<typeof createScriptedRunner>, listeners: BuildListener[], extra: Partial<RunOnEngineOptions> = {}): RunOnEngineOptions => ({
    dataDir: temp.dir,
    log: silentLogger,
    runner,
    concurrency: 2,
    listeners,
    planning,
    queueOptions: { pollMs: 20, backoff: () => 0 },
    ...extra,
  });
  const scripted = () => createScriptedRunner(mkdtempSync(path.join(tmpdir(), "ponyci-scripted-")), () => scripts);

  it("plans the narrowed cells with their posargs, runs them through the queue and the job processor, and records them in the CLI's own store", async () => {
    scripts.set(repo.sha, { "t.ok": "passed", "t.also": "passed" });
    const runner = scripted();
    const reporter = createReportListener();
    const heard: string[] = [];
    const request = cliBuildRequest(source(repo), { python: ["3.11", "3.13"], django: ["5.2"] }, ["-k", "it's"]);
    const run = await runOnEngine(request, engine(runner, [reporter, { preparing: (_b, job) => heard.push(`preparing ${job.id}`), started: (_b, job) => heard.push(`started ${job.id}`) }]));

    expect(run.build.source).toBe("cli");
    expect(run.build.plan.source).toBe("flags");
    expect(run.jobs.map((job) => [job.cell.python, job.cell.django, job.state, job.conclusion])).toEqual([
      ["3.11", "5.2", "finished", "success"],
      ["3.13", "5.2", "finished", "success"],
    ]);
    // Each job went preparing → started through the processor's listeners.
    for (const job of run.jobs) expect(heard.filter((h) => h.endsWith(job.id))).toEqual([`preparing ${job.id}`, `started ${job.id}`]);
    expect(reporter.reports().map((r) => [r.finished.conclusion, r.tests?.length])).toEqual([["success", 2], ["success", 2]]);
    // The stored plan carries the posargs for the harness (no tox commands, no config `test:`).
    expect(run.jobs.map((job) => (job.external as { posargs?: string[] }).posargs)).toEqual([["-k", "it's"], ["-k", "it's"]]);

    // The CLI's store under <dataDir>/cli holds the build and its results, and the queue is empty; no server store was made.
    expect(existsSync(path.join(temp.dir, STORE_FILE))).toBe(false);
    const store = openStore({ dataDir: cliDataDir(temp.dir) });
    try {
      expect(store.listTestResults(run.jobs[0]?.id ?? "").map((t) => t.id)).toEqual(["t.ok", "t.also"]);
      expect(store.listUnfinishedJobs()).toEqual([]);
      expect((store.sqlite.prepare("SELECT count(*) AS n FROM queue_items").get() as { n: number }).n).toBe(0);
    } finally {
      store.close();
    }
  });

  it("a second run finds the first's history: failed tests first; a never-seen failure is confirmed by a re-run, a failure seen before is not", async () => {
    scripts.set(repo.sha, { "t.ok": "passed", "t.bad": "failed" });
    const runner = scripted();
    const request = () => cliBuildRequest(source(repo), { python: ["3.11"], django: ["5.2"] }, undefined);
    const confirming: string[][] = [];
    const finished: CellFinished[] = [];
    const listeners = [{ confirming: (_b: unknown, _j: unknown, ids: string[]) => confirming.push(ids), finished: (event: CellFinished) => finished.push(event) }];

    const first = await runOnEngine(request(), engine(runner, listeners));
    expect(first.jobs.map((job) => job.conclusion)).toEqual(["failure"]);
    expect(confirming).toEqual([["t.bad"]]);
    expect(runner.runs.map((r) => [r.onlyTests, r.firstTests])).toEqual([[undefined, undefined], [["t.bad"], undefined]]);

    // The same commit run again is a build of its own (never deduplicated), ordered by the last run's failures.
    const second = await runOnEngine(request(), engine(runner, listeners));
    expect(second.build.id).not.toBe(first.build.id);
    expect(runner.runs.at(-1)).toMatchObject({ firstTests: ["t.bad"], order: ["t.bad", "t.ok"] });
    expect(confirming).toHaveLength(1);
    expect(finished.map((event) => event.finished.conclusion)).toEqual(["failure", "failure"]);
  });

  it("a signal cancels the run: the running cell stops, the queued one never starts, and no job is left running or queued", async () => {
    scripts.set(repo.sha, { [HOLD]: "passed" });
    const runner = scripted();
    const abort = new AbortController();
    const reporter = createReportListener();
    const request = cliBuildRequest(source(repo), { python: ["3.11", "3.13"], django: ["5.2"] }, undefined);
    const run = await runOnEngine(request, engine(runner, [reporter, { started: () => abort.abort() }], { concurrency: 1, signal: abort.signal }));

    expect(runner.runs).toHaveLength(1);
    expect(run.jobs.map((job) => [job.state, job.conclusion])).toEqual([
      ["cancelled", "cancelled"],
      ["cancelled", "cancelled"],
    ]);
    expect(reporter.reports().map((r) => r.finished.conclusion)).toEqual(["cancelled", "cancelled"]);
    const store = openStore({ dataDir: cliDataDir(temp.dir) });
    try {
      expect(store.listUnfinishedJobs()).toEqual([]);
      expect((store.sqlite.prepare("SELECT count(*) AS n FROM queue_items").get() as { n: number }).n).toBe(0);
    } finally {
      store.close();
    }
  });

  it("a cell whose run throws its cancellation (stopped while preparing) is reported cancelled by the run, which then ends", async () => {
    scripts.set(repo.sha, { "t.ok": "passed" });
    const base = scripted();
    const abort = new AbortController();
    const runner = {
      ...base,
      cells: {
        runCell: (_spec: unknown, { signal }: { signal?: AbortSignal } = {}) =>
          (async function* () {
            abort.abort();
            if (!signal?.aborted) await new Promise((resolve) => signal?.addEventListener("abort", resolve, { once: true }));
            yield* [];
            throw new CancelledError("stopped while building the environment");
          })(),
      },
    } as unknown as ReturnType<typeof createScriptedRunner>;
    const reporter = createReportListener();
    const run = await runOnEngine(cliBuildRequest(source(repo), { python: ["3.11"], django: ["5.2"] }, undefined), engine(runner, [reporter], { signal: abort.signal }));
    expect(run.jobs.map((job) => job.state)).toEqual(["cancelled"]);
    expect(reporter.reports().map((r) => r.finished.conclusion)).toEqual(["cancelled"]);
  });

  it("two runs side by side on one data directory never take each other's jobs", async () => {
    const other = await repo.commit("another state of the tree", { "NOTES.txt": "b\n" });
    scripts.set(repo.sha, { [HOLD]: "passed" });
    scripts.set(other, { [HOLD]: "passed" });
    const [runnerA, runnerB] = [scripted(), scripted()];
    const [abortA, abortB] = [new AbortController(), new AbortController()];
    // A has a free slot and polls often; B runs one cell at a time and has a second one waiting.
    const runA = runOnEngine(cliBuildRequest(source(repo), { python: ["3.11"], django: ["5.2"] }, undefined), engine(runnerA, [], { concurrency: 2, signal: abortA.signal }));
    const runB = runOnEngine(cliBuildRequest(source(repo, other), { python: ["3.11", "3.13"], django: ["5.2"] }, undefined), engine(runnerB, [], { concurrency: 1, signal: abortB.signal }));
    try {
      await until(() => runnerA.runs.length >= 1 && runnerB.runs.length >= 1);
      // Many of A's polls pass while B's second cell waits in the shared queue table.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(runnerA.runs.map((r) => r.sha)).toEqual([repo.sha]);
      expect(runnerB.runs.map((r) => r.sha)).toEqual([other]);
    } finally {
      abortA.abort();
      abortB.abort();
    }
    const [a, b] = await Promise.all([runA, runB]);
    expect(a.jobs.map((job) => job.conclusion)).toEqual(["cancelled"]);
    expect(b.jobs.map((job) => job.conclusion)).toEqual(["cancelled", "cancelled"]);
  });

  it("cancels what a run killed before its end left unfinished (its process is gone), and runs its own", async () => {
    scripts.set(repo.sha, { "t.ok": "passed" });
    // A dead process's run: a job recorded, queued and never finished.
    const { pid } = spawnSync("true");
    const store = openStore({ dataDir: cliDataDir(temp.dir) });
    let deadJob: string;
    try {
      const request = { ...cliBuildRequest(source(repo), {}, undefined), deliveryId: `${hostname()}:${pid}:dead` };
      const { jobs } = store.createBuild({ repo: repo.dir, source: "cli", visibility: "private", sha: repo.sha, branch: request.branch, event: request.event, trigger: { request }, jobs: [{ cell: { python: "3.11", django: "5.2" } }] });
      deadJob = jobs[0]?.id ?? "";
      store.sqlite.prepare("INSERT INTO queue_items (job_id, payload_json, state, available_at, enqueued_at) VALUES (?, ?, 'queued', 0, 0)").run(deadJob, JSON.stringify({ jobId: deadJob }));
    } finally {
      store.close();
    }
    const runner = scripted();
    const run = await runOnEngine(cliBuildRequest(source(repo), { python: ["3.11"], django: ["5.2"] }, undefined), engine(runner, []));
    expect(run.jobs.map((job) => job.conclusion)).toEqual(["success"]);
    expect(runner.runs).toHaveLength(1);
    const after = openStore({ dataDir: cliDataDir(temp.dir) });
    try {
      expect(after.getJob(deadJob)?.state).toBe("cancelled");
      expect((after.sqlite.prepare("SELECT count(*) AS n FROM queue_items").get() as { n: number }).n).toBe(0);
    } finally {
      after.close();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

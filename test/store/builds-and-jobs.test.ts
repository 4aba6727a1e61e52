import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { emptyCounts } from "../../src/domain/events.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { StoreError } from "../../src/store/store-error.js";
import { makeTempDir } from "./temp-dir.js";

const py311dj52 = { python: "3.11", django: "5.2" };
const py313dj52 = { python: "3.13", django: "5.2" };

describe("store: deliveries, builds and jobs", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let now: number;
  beforeEach(() => {
    temp = makeTempDir();
    now = 1_700_000_000_000;
    store = openStore({ dataDir: temp.dir, clock: { now: () => now, sleep: async () => {} } });
  });
  afterEach(() => {
    store.close();
    temp.remove();
  });

  it("records a delivery once: the same X-GitHub-Delivery again is a duplicate, also after a restart", () => {
    expect(store.recordDelivery("d-1", "push")).toBe(true);
    expect(store.recordDelivery("d-1", "push")).toBe(false);
    expect(store.recordDelivery("d-2", "pull_request")).toBe(true);
    store.close();
    store = openStore({ dataDir: temp.dir });
    expect(store.recordDelivery("d-1", "push")).toBe(false);
  });

  it("forgets old deliveries when pruned", () => {
    store.recordDelivery("old", "push");
    now += 10_000;
    store.recordDelivery("new", "push");
    expect(store.pruneDeliveries(5_000)).toBe(1);
    expect(store.recordDelivery("old", "push")).toBe(true);
    expect(store.recordDelivery("new", "push")).toBe(false);
  });

  it("creates a build with its jobs and numbers builds from 1", () => {
    // A downstream build's request: the store keeps it as it was given.
    const downstream = { source: "github" as const, repo: { name: "o/app", cloneUrl: "https://github.com/o/app.git", visibility: "public" as const }, sha: "abc", branch: "main", event: "downstream", upstream: { repo: "o/lib", cloneUrl: "https://github.com/o/lib.git", sha: "def", buildId: 9 } };
    const { build, jobs } = store.createBuild({
      repo: "o/app",
      source: "github",
      visibility: "public",
      sha: "abc",
      branch: "main",
      event: "push",
      trigger: { request: downstream },
      jobs: [{ cell: py311dj52 }, { cell: py313dj52, external: { onlyTests: ["t.a"] } }],
    });
    expect(build).toMatchObject({
      id: 1,
      repo: "o/app",
      branch: "main",
      createdAt: now,
      trigger: { request: downstream },
      status: { state: "queued", jobs: 2 },
    });
    expect(build.prNumber).toBeUndefined();
    expect(jobs.map((job) => [job.id, job.seq, job.state, job.attempts])).toEqual([
      ["1-1", 1, "queued", 0],
      ["1-2", 2, "queued", 0],
    ]);
    expect(store.getJob("1-2")).toMatchObject({ cell: py313dj52, external: { onlyTests: ["t.a"] }, buildId: 1 });
    expect(store.createBuild({ repo: "o/app", source: "cli", visibility: "public", sha: "x", event: "manual" }).build.id).toBe(2);

    const more = store.createJobs(1, [{ cell: py311dj52, id: "custom" }, { cell: py313dj52 }]);
    expect(more.map((job) => [job.id, job.seq])).toEqual([
      ["custom", 3],
      ["1-4", 4],
    ]);
  });

  it("hides a repository's earlier public builds once it has a private one (made private on GitHub)", () => {
    const first = store.createBuild({ repo: "o/flipped", source: "github", visibility: "public", sha: "a", event: "push" }).build;
    const other = store.createBuild({ repo: "o/other", source: "github", visibility: "public", sha: "a", event: "push" }).build;
    store.createBuild({ repo: "o/flipped", source: "github", visibility: "private", sha: "b", event: "push" });
    expect(store.getBuild(first.id)?.visibility).toBe("private");
    expect(store.getBuild(other.id)?.visibility).toBe("public");
    expect(store.listBuilds({ publicOr: [] }).map((b) => b.repo)).toEqual(["o/other"]);
    expect(store.listBuilds({ publicOr: ["o/flipped"] }).map((b) => b.repo)).toEqual(["o/flipped", "o/other", "o/flipped"]);
  });

  it("follows a job through its lifecycle and derives the build's status", () => {
    const { build } = store.createBuild({
      repo: "o/app",
      source: "github",
      visibility: "public",
      sha: "abc",
      prNumber: 7,
      event: "pull_request",
      jobs: [{ cell: py311dj52 }, { cell: py313dj52 }],
    });
    now += 1_000;
    const started = store.recordJobStarted("1-1");
    expect(started).toMatchObject({ state: "running", attempts: 1, startedAt: now });
    store.setCheckRunId("1-1", 987654321);
    expect(store.getBuild(build.id)?.status).toEqual({ state: "running", jobs: 2 });

    now += 1_000;
    const counts = { ...emptyCounts(), passed: 3, failed: 1, total: 4 };
    const finished = store.recordJobFinished({ jobId: "1-1", conclusion: "failure", counts });
    expect(finished).toMatchObject({ state: "finished", conclusion: "failure", counts, finishedAt: now, checkRunId: 987654321 });
    expect(store.getBuild(build.id)?.status.state).toBe("running");

    store.recordJobStarted("1-2");
    store.recordJobFinished({
      jobId: "1-2",
      conclusion: "error",
      error: { message: "Docker daemon went away", kind: "infrastructure" },
    });
    expect(store.getJob("1-2")?.error).toEqual({ message: "Docker daemon went away", kind: "infrastructure" });
    expect(store.getBuild(build.id)?.status).toEqual({ state: "finished", conclusion: "failure", jobs: 2 });
    expect(store.listJobs(build.id).map((job) => job.state)).toEqual(["finished", "finished"]);
  });

  it("keeps a neutral job (tox ignore_outcome) neutral, a fresh attempt clears it, and a failure still outranks it", () => {
    store.createBuild({ repo: "o/app", source: "cli", visibility: "public", sha: "n", event: "manual", jobs: [{ cell: py311dj52 }, { cell: py313dj52 }] });
    store.recordJobStarted("1-1");
    store.recordJobFinished({ jobId: "1-1", conclusion: "neutral", counts: { ...emptyCounts(), failed: 1, total: 1 } });
    store.recordJobStarted("1-2");
    store.recordJobFinished({ jobId: "1-2", conclusion: "success" });
    expect(store.getJob("1-1")).toMatchObject({ state: "finished", conclusion: "neutral" });
    expect(store.getBuild(1)?.status).toEqual({ state: "finished", conclusion: "neutral", jobs: 2 });
    store.recordJobStarted("1-1");
    store.recordJobFinished({ jobId: "1-1", conclusion: "failure" });
    expect(store.getJob("1-1")?.conclusion).toBe("failure");
    expect(store.getBuild(1)?.status).toEqual({ state: "finished", conclusion: "failure", jobs: 2 });
  });

  it("cancels only jobs that have not ended, and requeues after a crash", () => {
    store.createBuild({
      repo: "o/app",
      source: "cli",
      visibility: "private",
      sha: "abc",
      event: "manual",
      jobs: [{ cell: py311dj52 }, { cell: py313dj52 }],
    });
    store.recordJobStarted("1-2");
    store.recordJobRequeued("1-2");
    expect(store.getJob("1-2")).toMatchObject({ state: "queued", attempts: 1 });
    expect(store.recordJobCancelled("1-1")).toBe(true);
    expect(store.getJob("1-1")).toMatchObject({ state: "cancelled", conclusion: "cancelled" });
    expect(store.recordJobCancelled("1-1")).toBe(false);
    store.recordJobStarted("1-2");
    store.recordJobFinished({ jobId: "1-2", conclusion: "success" });
    expect(store.recordJobCancelled("1-2")).toBe(false);
    expect(store.getJob("1-2")?.conclusion).toBe("success");
    expect(store.getBuild(1)?.status).toEqual({ state: "finished", conclusion: "cancelled", jobs: 2 });
  });

  it("a new attempt starts from a clean slate: no results or log of the previous one", () => {
    store.createBuild({ repo: "o/app", source: "cli", visibility: "public", sha: "a", event: "manual", jobs: [{ cell: py311dj52 }] });
    store.recordJobStarted("1-1");
    store.addTestResults("1-1", [{ id: "t.a", outcome: "passed", durationMs: 1 }]);
    store.appendLog("1-1", ["first attempt"]);
    const again = store.recordJobStarted("1-1");
    expect(again.attempts).toBe(2);
    expect(store.listTestResults("1-1")).toEqual([]);
    expect(store.readLog("1-1").lines).toEqual([]);
  });

  it("keeps a cell's failure buckets with its verdict, across a restart, and a new attempt clears them", () => {
    store.createBuild({ repo: "o/app", source: "cli", visibility: "public", sha: "a", event: "manual", jobs: [{ cell: py311dj52 }, { cell: py313dj52 }] });
    const failures = {
      headline: "1 new failure, 1 already failing on main",
      base: { sha: "b".repeat(40), label: "main" },
      counts: { new: 1, "already-failing": 1, flaky: 0, quarantined: 0, "no-base": 0 },
      tests: [{ id: "t.new", bucket: "new" as const }, { id: "t.old", bucket: "already-failing" as const, since: { sha: "c".repeat(40), at: 5, atLeast: false } }],
      flakyPasses: [],
    };
    store.recordJobStarted("1-1");
    store.recordJobFinished({ jobId: "1-1", conclusion: "failure", failures });
    store.recordJobStarted("1-2");
    store.recordJobFinished({ jobId: "1-2", conclusion: "success" });
    store.close();
    store = openStore({ dataDir: temp.dir });
    expect([...store.listCellFailures(1)]).toEqual([["1-1", failures]]);
    store.recordJobStarted("1-1");
    expect(store.listCellFailures(1).size).toBe(0);
  });

  it("throws a StoreError for an unknown job or build, writing nothing", () => {
    expect(() => store.recordJobStarted("nope")).toThrow(StoreError);
    expect(() => store.recordJobStarted("nope")).toThrow(/there is no job nope/);
    expect(() => store.createJobs(42, [{ cell: py311dj52 }])).toThrow(/FOREIGN KEY/);
    expect(store.getJob("42-1")).toBeUndefined();
  });

  it("lists builds newest first, filtered by repo and visibility, with paging", () => {
    const make = (repo: string, visibility: "public" | "private") =>
      store.createBuild({ repo, source: "github", visibility, sha: `s${repo}`, event: "push" }).build.id;
    make("o/app", "public");
    make("o/proj", "private");
    make("o/app", "public");
    make("o/app", "public");
    expect(store.listBuilds().map((b) => b.id)).toEqual([4, 3, 2, 1]);
    expect(store.listBuilds({ repo: "o/app", limit: 2 }).map((b) => b.id)).toEqual([4, 3]);
    expect(store.listBuilds({ repo: "o/app", limit: 2, before: 3 }).map((b) => b.id)).toEqual([1]);
    expect(store.listBuilds({ visibility: "private" }).map((b) => b.repo)).toEqual(["o/proj"]);
    expect(store.findBuilds({ repo: "o/app", sha: "so/app" }).map((b) => b.id)).toEqual([4, 3, 1]);
  });

  it("finds the unfinished jobs of older commits on the same branch or pull request", () => {
    const build = (sha: string, extra: { branch?: string; prNumber?: number }, cells = [py311dj52, py313dj52]) =>
      store.createBuild({
        repo: "o/app",
        source: "github",
        visibility: "public",
        sha,
        event: "push",
        ...extra,
        jobs: cells.map((cell) => ({ cell })),
      }).build.id;
    const oldMain = build("old", { branch: "main" });
    const otherBranch = build("other", { branch: "dev" });
    const pr = build("prold", { branch: "feature", prNumber: 5 });
    store.recordJobStarted(`${oldMain}-1`);
    store.recordJobFinished({ jobId: `${oldMain}-1`, conclusion: "success" });
    store.recordJobStarted(`${oldMain}-2`);
    const newMain = build("new", { branch: "main" });

    const onMain = store.findJobsToSupersede({ repo: "o/app", branch: "main", exceptSha: "new" });
    expect(onMain.map((job) => job.id)).toEqual([`${oldMain}-2`]);
    expect(store.findJobsToSupersede({ repo: "o/app", prNumber: 5, exceptSha: "prnew" }).map((job) => job.id)).toEqual([
      `${pr}-1`,
      `${pr}-2`,
    ]);
    expect(store.findJobsToSupersede({ repo: "o/other", branch: "main", exceptSha: "new" })).toEqual([]);
    expect(otherBranch).toBeGreaterThan(0);

    store.markJobsSuperseded([`${oldMain}-2`], newMain);
    expect(store.getJob(`${oldMain}-2`)?.supersededBy).toBe(newMain);
    expect(store.findJobsToSupersede({ repo: "o/app", branch: "main", exceptSha: "new" })).toEqual([]);
  });
});

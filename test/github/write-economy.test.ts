import { afterAll, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createCheckRunReporter } from "../../src/github/create-check-run-reporter.js";
import type { CheckRunWrite } from "../../src/github/check-run-write.js";
import { createOutbox } from "../../src/outbox/create-outbox.js";
import { openStore } from "../../src/store/open-store.js";
import { emptyCounts } from "../../src/domain/events.js";
import type { Clock } from "../../src/domain/clock.js";
import type { RunningServer } from "../../src/server/start-server.js";
import { createScriptedRunner, HOLD, type CommitScript } from "../support/create-scripted-runner.js";
import { INSTALLATION_ID, fakeGitHub, postWebhook, pushPayload, serveContents, startTestServer, waitFor } from "../support/github-app-harness.js";

/**
 * Issue 25's write budget: a passing cell costs two GitHub writes (created
 * in progress when it starts at once, completed), progress at most once per
 * cell per 10 s, a cell cancelled before its run was created costs nothing,
 * and a burst's check runs are all created before any progress update.
 * Times are counts and orders here; bench/webhook-bench.ts measures them.
 */
describe("the check-run reporter's writes (real store and outbox, not started)", () => {
  const store = openStore({ dataDir: mkdtempSync(path.join(tmpdir(), "ponyci-writes-")) });
  let now = Date.parse("2026-12-06T10:00:00Z");
  const clock: Clock = { now: () => now, sleep: async () => undefined };
  const outbox = createOutbox({ store, send: async () => ({ status: "sent" }), clock });
  afterAll(() => store.close());

  it("creates a cell that starts at once in progress (2 writes when it passes); a queued one at once; throttles progress; skips a never-shown cancel", () => {
    const reporter = createCheckRunReporter({ outbox, publicUrl: "http://ci.test", clock, cellSlots: 2 });
    const request = { source: "github" as const, repo: { name: "pony/r", cloneUrl: "https://github.com/pony/r.git", visibility: "public" as const, installationId: 7 }, sha: "a".repeat(40), event: "push" };
    const cell = (python: string) => ({ python, django: "5.2" }) as never;
    const { build, jobs } = store.createBuild({ repo: "pony/r", source: "github", visibility: "public", sha: "a".repeat(40), event: "push", trigger: { request }, jobs: ["3.11", "3.12", "3.13"].map((p) => ({ cell: cell(p) })) });
    const [first, second, third] = jobs as [(typeof jobs)[number], (typeof jobs)[number], (typeof jobs)[number]];
    const writes = (jobId: string) => outbox.list(`check-run:${jobId}`).filter((w) => w.state !== "superseded");
    const bodies = (jobId: string) => writes(jobId).map((w) => ({ kind: w.kind, ...(w.payload as CheckRunWrite) }));

    // Two slots: the first two cells start at once (no "queued" create), the third waits and shows queued.
    reporter.planned?.(build, jobs, []);
    expect(writes(first.id)).toEqual([]);
    expect(bodies(third.id)).toEqual([expect.objectContaining({ kind: "create", create: expect.objectContaining({ status: "queued", name: "Python 3.13 · Django 5.2" }) })]);

    // Started: created in progress.
    reporter.started?.(build, first);
    expect(bodies(first.id)).toEqual([expect.objectContaining({ kind: "create", create: expect.objectContaining({ status: "in_progress", external_id: first.id }) })]);
    // Progress: none within 10 s of the start, then one per 10 s.
    for (let i = 0; i < 25; i++) {
      now += 1_000;
      reporter.progress?.(build, first, { ...emptyCounts(), passed: i, total: i }, []);
    }
    expect(outbox.list(`check-run:${first.id}`).filter((w) => w.kind === "progress")).toHaveLength(2);
    // Finished, passing: one completion. What reaches GitHub: the create and the completion (progress coalesced away when it waits).
    reporter.finished?.({ build, job: { ...first, state: "finished", conclusion: "success" }, finished: { type: "finished", conclusion: "success", counts: { ...emptyCounts(), passed: 3, total: 3 }, durationMs: 5, testDurationMs: 3 }, tests: [], logTail: [] });
    // The progress that waited is dropped by the completion: what reaches GitHub is the create and the completion.
    expect(writes(first.id).map((w) => w.kind)).toEqual(["create", "complete"]);

    // A cell cancelled before it started and before its run was created: nothing is written.
    reporter.cancelled?.(build, second, "superseded by bbbbbbb");
    expect(writes(second.id)).toEqual([]);
    // One that showed queued is completed as cancelled.
    reporter.cancelled?.(build, third, "superseded by bbbbbbb");
    expect(writes(third.id).map((w) => w.kind)).toEqual(["create", "complete"]);
  });
});

describe("a burst of pushes through the server", () => {
  let server: RunningServer;
  const scripts = new Map<string, CommitScript>();
  const runner = createScriptedRunner(mkdtempSync(path.join(tmpdir(), "ponyci-scripted-")), () => scripts);
  afterAll(async () => {
    for (const build of server?.ponyci.store.listBuilds({ limit: 100 }) ?? []) await server.ponyci.builds.cancelJobs(server.ponyci.store.listJobs(build.id), "test over");
    await server?.stop({ graceMs: 1000 });
  });

  it("a passing cell costs two writes; 20 pushes create every check run before any progress update", async () => {
    const github = fakeGitHub();
    github.installationToken(INSTALLATION_ID, { times: 10 });
    server = await startTestServer({ runner });
    const repository = (name: string) => ({ id: 40, full_name: `pony/${name}`, name, clone_url: "/nonexistent/scripted", private: false, default_branch: "main", owner: { login: "pony" } });
    const sha = (name: string) => createHash("sha1").update(`writes:${name}`).digest("hex");

    // 1. One passing cell on an idle server: create (in progress) + completion, and Pony CI's two.
    github.createCheckRun("pony", "one", { times: 4 }).updateCheckRun("pony", "one", undefined, { times: 4 });
    serveContents(github, "pony", "one", { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\n' }, 1);
    scripts.set(sha("one"), { "polls.tests.T.test_ok": "passed" });
    await postWebhook(server.port, "push", { ...pushPayload({ dir: "/nonexistent/scripted", sha: sha("one") }, { fullName: "pony/one" }), repository: repository("one") });
    const completed = (run: { create: Record<string, unknown>; updates: Array<Record<string, unknown>> }) => run.create.status === "completed" || run.updates.some((u) => u.status === "completed");
    const runs = await waitFor(() => {
      const all = github.checkRuns("pony", "one");
      return all.length === 2 && all.every(completed) && server.ponyci.outbox.backlog() === 0 ? all : undefined;
    }, 60_000, "the passing cell and its Pony CI");
    const cellRun = runs.find((r) => r.create.name !== "Pony CI");
    expect(cellRun?.create).toMatchObject({ status: "in_progress" });
    expect(1 + (cellRun?.updates.length ?? 0)).toBe(2);
    expect(runs.map((r) => 1 + r.updates.length)).toEqual([2, 2]);

    // 2. A burst of 20 pushes to 20 repositories, cells holding (two run, the rest wait).
    const names = Array.from({ length: 20 }, (_, i) => `burst${i}`);
    for (const name of names) {
      github.createCheckRun("pony", name, { times: 2 }).updateCheckRun("pony", name, undefined, { times: 4 });
      serveContents(github, "pony", name, { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\n' }, 1);
      scripts.set(sha(name), { [HOLD]: "passed" });
    }
    const before = github.requests.length;
    await Promise.all(names.map((name) => postWebhook(server.port, "push", { ...pushPayload({ dir: "/nonexistent/scripted", sha: sha(name) }, { fullName: `pony/${name}` }), repository: repository(name) })));
    await waitFor(() => (names.every((name) => github.checkRuns("pony", name).length === 2) && server.ponyci.outbox.backlog() === 0 ? true : undefined), 120_000, "every check run of the burst");
    const burst = github.requests.slice(before).filter((r) => r.method !== "GET" && !r.path.includes("access_tokens"));
    // Every commit shows its cell and its Pony CI: 40 creates, and only the two running cells' runs were created in progress.
    const creates = burst.filter((r) => r.method === "POST");
    expect(creates).toHaveLength(40);
    expect(creates.filter((r) => (r.body as { status: string }).status === "in_progress" && (r.body as { name: string }).name !== "Pony CI")).toHaveLength(2);
    // Priority order: no progress update went out before the last create.
    const lastCreate = burst.map((r) => r.method).lastIndexOf("POST");
    expect(burst.slice(0, lastCreate).filter((r) => r.method === "PATCH")).toEqual([]);
  });
});

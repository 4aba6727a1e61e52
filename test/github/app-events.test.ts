import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { INSTALLATION_ID, fakeGitHub, postWebhook, pushPayload, serveContents, startTestServer, waitFor } from "../support/github-app-harness.js";
import type { RunningServer } from "../../src/server/start-server.js";
import type { GitHubApiFake } from "../support/github-api-fake.js";

const ONE_CELL = 'python: ["3.11"]\ndjango: ["5.2"]\n';

type Body = { name?: string; head_sha?: string; status?: string; conclusion?: string; external_id?: string; output?: { title?: string; summary?: string; annotations?: Array<{ path: string; start_line: number }> } };

/**
 * Every event the app handles, through the running server: pull requests
 * (forks included), re-runs from GitHub's UI, dedupe, supersede, broken
 * configs. GitHub's API is faked and every body checked against its schema.
 */
describe("GitHub App events", () => {
  let server: RunningServer;
  let github: GitHubApiFake;
  let repoCount = 0;

  beforeAll(async () => {
    github = fakeGitHub();
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 1000 });
  });
  afterEach(() => {
    expect(github.violations()).toEqual([]);
  });

  /** A fresh fake repository "pony/<name>" on GitHub, backed by a local fixture repo. */
  async function newRepo(fixture: string, config = ONE_CELL) {
    const name = `repo${repoCount++}`;
    const repo = await createFixtureRepo(fixture);
    github.installationToken(INSTALLATION_ID, { times: 5 }).createCheckRun("pony", name, { times: 20 }).updateCheckRun("pony", name, undefined, { times: 60 });
    serveContents(github, "pony", name, { ".github/ponyci.yml": config }, 8);
    return { name, full: `pony/${name}`, repo };
  }
  const allCreates = (name: string) => github.requests.filter((r) => r.method === "POST" && r.path === `/repos/pony/${name}/check-runs`).map((r) => r.body as Body);
  /** The cells' check runs (the aggregate "Pony CI" is tested in aggregate-check.test.ts). */
  const creates = (name: string) => allCreates(name).filter((c) => c.name !== "Pony CI");
  const isAggregate = (p: Body) => Boolean(p.output?.summary?.includes("| Cell | Result | Tests |"));
  const patchesOf = (name: string) => github.requests.filter((r) => r.method === "PATCH" && r.path.startsWith(`/repos/pony/${name}/check-runs/`)).map((r) => ({ id: Number(r.path.split("/").pop()), ...(r.body as Body) })).filter((p) => !isAggregate(p));
  const completions = (name: string) => patchesOf(name).filter((p) => p.status === "completed");

  it("a pull request from a collaborator's fork builds head.sha fetched from refs/pull/N/head, with the run on the base repository", async () => {
    const base = await newRepo("django-pass");
    // The fork's commit exists in the base repository only under refs/pull/7/head.
    const forkSha = await base.repo.commit("fork change", { "polls/extra.py": "X = 1\n" });
    await execa("git", ["update-ref", "refs/pull/7/head", forkSha], { cwd: base.repo.dir });
    await execa("git", ["reset", "-q", "--hard", base.repo.sha], { cwd: base.repo.dir });
    const payload = {
      action: "opened",
      number: 7,
      pull_request: { number: 7, author_association: "COLLABORATOR", head: { sha: forkSha, ref: "feature", repo: { full_name: "someone/fork" } }, base: { ref: "main", repo: { full_name: base.full } } },
      repository: { id: 2, full_name: base.full, name: base.name, clone_url: base.repo.dir, private: false, default_branch: "main", owner: { login: "pony" } },
      installation: { id: INSTALLATION_ID },
      sender: { login: "someone", id: 2 },
    };
    expect((await postWebhook(server.port, "pull_request", payload)).status).toBe(200);
    const done = await waitFor(() => completions(base.name)[0], 180_000, "fork PR completion");
    expect(done.conclusion).toBe("success");
    expect(creates(base.name)).toEqual([expect.objectContaining({ head_sha: forkSha, name: "Python 3.11 · Django 5.2" })]);
    const build = server.ponyci.store.listBuilds({ repo: base.full })[0];
    expect(build).toMatchObject({ sha: forkSha, prNumber: 7, event: "pull_request" });
  });

  it("a push and a pull_request of the same commit build once", async () => {
    const r = await newRepo("django-pass");
    await postWebhook(server.port, "push", pushPayload(r.repo, { fullName: r.full, branch: "feature" }));
    const pr = {
      action: "synchronize",
      number: 3,
      pull_request: { number: 3, head: { sha: r.repo.sha, ref: "feature", repo: { full_name: r.full } }, base: { ref: "main", repo: { full_name: r.full } } },
      repository: { id: 3, full_name: r.full, name: r.name, clone_url: r.repo.dir, private: false, default_branch: "main", owner: { login: "pony" } },
      installation: { id: INSTALLATION_ID },
      sender: { login: "octocat", id: 1 },
    };
    await postWebhook(server.port, "pull_request", pr);
    await waitFor(() => completions(r.name)[0], 180_000, "completion");
    expect(server.ponyci.store.listBuilds({ repo: r.full })).toHaveLength(1);
    expect(creates(r.name)).toHaveLength(1);
  });

  it("tag pushes and branch deletions build nothing", async () => {
    const r = await newRepo("django-pass");
    await postWebhook(server.port, "push", { ...pushPayload(r.repo, { fullName: r.full }), ref: "refs/tags/v1.0" });
    await postWebhook(server.port, "push", { ...pushPayload(r.repo, { fullName: r.full }), after: "0".repeat(40), deleted: true });
    expect(server.ponyci.store.listBuilds({ repo: r.full })).toEqual([]);
  });

  it("a broken config gives one failing check run that names the file and line", async () => {
    const r = await newRepo("django-pass", 'python: ["3.11"]\ndjango: [5.0]\n');
    await postWebhook(server.port, "push", pushPayload(r.repo, { fullName: r.full }));
    const run = await waitFor(() => allCreates(r.name)[0], 30_000, "config error run");
    expect(run).toMatchObject({ name: "Pony CI", status: "completed", conclusion: "failure" });
    expect(run.output?.title).toMatch(/\.github\/ponyci\.yml line 2/);
    expect(run.output?.summary).toMatch(/quote/i);
    expect(run.output?.annotations).toEqual([expect.objectContaining({ path: ".github/ponyci.yml", start_line: 2 })]);
    expect(server.ponyci.store.listBuilds({ repo: r.full })[0]?.planState).toBe("config-error");
  });

  it("a cell asking for a database no `services:` entry provides gives a config-error check run at the `database:` line", async () => {
    const r = await newRepo("django-postgres", 'python: ["3.11"]\ndjango: ["5.2"]\ndatabase: [postgres]\n');
    await postWebhook(server.port, "push", pushPayload(r.repo, { fullName: r.full }));
    const run = await waitFor(() => allCreates(r.name)[0], 30_000, "config error run");
    expect(run).toMatchObject({ name: "Pony CI", status: "completed", conclusion: "failure" });
    expect(run.output?.title).toMatch(/\.github\/ponyci\.yml line 3/);
    // The summary is Markdown-escaped: compare its text.
    expect((run.output?.summary ?? "").replaceAll("\\", "")).toMatch(/PostgreSQL needs a postgres database service, but no `services:` entry provides one\. Add `services: \[postgres\]`/);
    expect(run.output?.annotations).toEqual([expect.objectContaining({ path: ".github/ponyci.yml", start_line: 3 })]);
    expect(allCreates(r.name)).toHaveLength(1);
    expect(server.ponyci.store.listBuilds({ repo: r.full })[0]?.planState).toBe("config-error");
  });

  it("re-runs: one cell, all cells, and only the failed tests, each as new check runs", async () => {
    const r = await newRepo("django-fail", 'python: ["3.11", "3.13"]\ndjango: ["5.2"]\n');
    await postWebhook(server.port, "push", pushPayload(r.repo, { fullName: r.full }));
    await waitFor(() => (completions(r.name).length >= 2 ? true : undefined), 240_000, "both cells");
    const first = creates(r.name).find((c) => c.name === "Python 3.11 · Django 5.2");
    const checkRun = (externalId: string, id: number) => ({ id, external_id: externalId, head_sha: r.repo.sha, app: { id: 4242 } });
    const repository = { id: 9, full_name: r.full, name: r.name, clone_url: r.repo.dir, private: false, default_branch: "main", owner: { login: "pony" } };
    const jobId = first?.external_id ?? "";
    const checkRunId = server.ponyci.store.getJob(jobId)?.checkRunId ?? 0;

    // 1. "Re-run" on one check run: that cell again.
    await postWebhook(server.port, "check_run", { action: "rerequested", check_run: checkRun(jobId, checkRunId), repository, installation: { id: INSTALLATION_ID }, sender: { login: "u", id: 1 } });
    await waitFor(() => (completions(r.name).length >= 3 ? true : undefined), 180_000, "re-run of one cell");
    // Cells' runs are created as they start: in either order.
    expect(creates(r.name).map((c) => c.name).sort()).toEqual(["Python 3.11 · Django 5.2", "Python 3.11 · Django 5.2", "Python 3.13 · Django 5.2"]);

    // 2. "Re-run failed": only the failed tests of that cell.
    await postWebhook(server.port, "check_run", { action: "requested_action", requested_action: { identifier: "rerun-failed" }, check_run: checkRun(jobId, checkRunId), repository, installation: { id: INSTALLATION_ID }, sender: { login: "u", id: 1 } });
    await waitFor(() => (completions(r.name).length >= 4 ? true : undefined), 180_000, "re-run of failed tests");
    const rerunBuild = server.ponyci.store.listBuilds({ repo: r.full })[0];
    expect(rerunBuild?.event).toBe("rerun-failed");
    const [rerunJob] = server.ponyci.store.listJobs(rerunBuild?.id ?? 0);
    const rerunIds = server.ponyci.store.listTestResults(rerunJob?.id ?? "").map((t) => t.id).sort();
    const originalFailed = server.ponyci.store.listTestResults(jobId, { outcomes: ["failed", "error"] }).map((t) => t.id);
    expect(rerunIds.every((id) => originalFailed.some((f) => id.startsWith(f)))).toBe(true);
    expect(rerunIds).not.toContain("polls.tests.QuestionTests.test_passes");

    // 3. "Re-run all checks": every cell.
    await postWebhook(server.port, "check_suite", { action: "rerequested", check_suite: { id: 5, head_sha: r.repo.sha, head_branch: "main", app: { id: 4242 } }, repository, installation: { id: INSTALLATION_ID }, sender: { login: "u", id: 1 } });
    await waitFor(() => (completions(r.name).length >= 6 ? true : undefined), 240_000, "re-run of the suite");
    expect(creates(r.name)).toHaveLength(6);
  }, 600_000);

  it("a new commit on the branch cancels the older commit's cells: their check runs end cancelled", async () => {
    const slow = 'python: ["3.11"]\ndjango: ["5.2"]\ntest: "python manage.py test hostile.test_endless"\ntimeout: 120\n';
    const r = await newRepo("hostile", slow);
    await postWebhook(server.port, "push", pushPayload(r.repo, { fullName: r.full }));
    await waitFor(() => [...creates(r.name), ...patchesOf(r.name)].find((p) => p.status === "in_progress"), 120_000, "the first cell to start");
    const second = await r.repo.commit("newer", { "hostileproj/newer.py": "NEWER = True\n" });
    await postWebhook(server.port, "push", pushPayload({ dir: r.repo.dir, sha: second }, { fullName: r.full }));
    const cancelled = await waitFor(() => completions(r.name).find((p) => p.conclusion === "cancelled"), 120_000, "the cancelled completion");
    const firstRunId = creates(r.name).length > 0 ? cancelled.id : 0;
    expect(firstRunId).toBeGreaterThan(0);
    const [newer, older] = server.ponyci.store.listBuilds({ repo: r.full });
    expect(server.ponyci.store.listJobs(older?.id ?? 0)[0]).toMatchObject({ conclusion: "cancelled", supersededBy: newer?.id });
    // Stop the newer endless cell too.
    await server.ponyci.builds.cancelJobs(server.ponyci.store.listJobs(newer?.id ?? 0), "test over");
  }, 600_000);
});

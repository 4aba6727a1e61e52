import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { APP_ID, INSTALLATION_ID, fakeGitHub, postWebhook, serveContents, startTestServer, waitFor } from "../support/github-app-harness.js";
import type { RunningServer } from "../../src/server/start-server.js";
import type { GitHubApiFake } from "../support/github-api-fake.js";
import { needsForkApproval, mayApprove } from "../../src/domain/needs-fork-approval.js";

type Body = { name?: string; head_sha?: string; status?: string; conclusion?: string; external_id?: string; actions?: Array<{ identifier: string; label: string }>; output?: { title?: string } };

describe("needsForkApproval", () => {
  it.each([
    ["outside", true, "FIRST_TIME_CONTRIBUTOR", true],
    ["outside", true, "CONTRIBUTOR", true],
    ["outside", true, "NONE", true],
    ["outside", true, undefined, true],
    ["outside", true, "COLLABORATOR", false],
    ["outside", true, "MEMBER", false],
    ["outside", true, "OWNER", false],
    ["outside", false, "NONE", false],
    ["all-forks", true, "OWNER", true],
    ["all-forks", false, "NONE", false],
    ["never", true, "NONE", false],
  ] as const)("%s, fork %s, %s → %s", (policy, fromFork, authorAssociation, expected) => {
    expect(needsForkApproval(policy, { fromFork, authorAssociation })).toBe(expected);
  });

  it.each([
    [{ permission: "admin", role_name: "admin" }, true],
    [{ permission: "write", role_name: "maintain" }, true],
    [{ permission: "write", role_name: "write" }, true],
    [{ permission: "read", role_name: "triage" }, false],
    [{ permission: "read", role_name: "read" }, false],
    [{ permission: "none", role_name: "none" }, false],
  ])("permission %j may approve: %s", (permission, expected) => {
    expect(mayApprove(permission)).toBe(expected);
  });
});

/**
 * GitHub Actions' rule for outside contributors: a fork pull request is not
 * built until someone with write access approves it. Through the running
 * server; GitHub faked, every body checked against its schema.
 */
describe("fork pull requests by outside contributors wait for approval", () => {
  let server: RunningServer;
  let github: GitHubApiFake;

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

  it("a first-time contributor's fork is not built; a click without write access starts nothing; a maintainer's click runs it", async () => {
    const name = "forked";
    const base = await createFixtureRepo("django-pass");
    const forkSha = await base.commit("fork change", { "polls/extra.py": "X = 1\n" });
    await execa("git", ["update-ref", "refs/pull/7/head", forkSha], { cwd: base.dir });
    await execa("git", ["reset", "-q", "--hard", base.sha], { cwd: base.dir });
    github.installationToken(INSTALLATION_ID, { times: 10 }).createCheckRun("pony", name, { times: 10 }).updateCheckRun("pony", name, undefined, { times: 30 });
    serveContents(github, "pony", name, { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\n' }, 4);
    const repository = { id: 2, full_name: `pony/${name}`, name, clone_url: base.dir, private: false, default_branch: "main", owner: { login: "pony" } };
    const creates = () => github.requests.filter((r) => r.method === "POST" && r.path === `/repos/pony/${name}/check-runs`).map((r) => r.body as Body);
    const patches = () => github.requests.filter((r) => r.method === "PATCH" && r.path.startsWith(`/repos/pony/${name}/check-runs/`)).map((r) => ({ id: Number(r.path.split("/").pop()), ...(r.body as Body) }));

    // 1. The pull request: one approval check run, no build.
    const opened = {
      action: "opened",
      number: 7,
      pull_request: { number: 7, author_association: "FIRST_TIME_CONTRIBUTOR", user: { login: "stranger" }, head: { sha: forkSha, ref: "feature", repo: { full_name: "stranger/fork" } }, base: { ref: "main", repo: { full_name: `pony/${name}` } } },
      repository,
      installation: { id: INSTALLATION_ID },
      sender: { login: "stranger", id: 3 },
    };
    expect((await postWebhook(server.port, "pull_request", opened)).status).toBe(200);
    const approval = await waitFor(() => creates()[0], 30_000, "the approval check run");
    // The approval run is the required aggregate "Pony CI": action_required while the pull request waits.
    expect(approval).toMatchObject({
      name: "Pony CI",
      head_sha: forkSha,
      status: "completed",
      conclusion: "action_required",
      external_id: "ponyci-approve:7",
      output: { title: "Waiting for approval" },
      actions: [{ identifier: "approve-run", label: "Approve and run" }],
    });
    expect(server.ponyci.store.findBuilds({ repo: `pony/${name}`, sha: forkSha })).toEqual([]);
    const approvalId = 1; // the fake numbers check runs from 1 per test file
    const click = (login: string) => ({
      action: "requested_action",
      check_run: { id: approvalId, external_id: "ponyci-approve:7", head_sha: forkSha, app: { id: APP_ID } },
      requested_action: { identifier: "approve-run" },
      repository,
      installation: { id: INSTALLATION_ID },
      sender: { login, id: 4 },
    });
    const permission = (login: string, level: string) =>
      github.intercept("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", { owner: "pony", repo: name, username: login }, {
        status: 200,
        body: { permission: level === "write" ? "write" : "read", role_name: level, user: { login, id: 4 } },
      });

    // 2. The fork's author (read access) clicks: nothing starts.
    permission("stranger", "read");
    expect((await postWebhook(server.port, "check_run", click("stranger"))).status).toBe(200);
    expect(server.ponyci.store.findBuilds({ repo: `pony/${name}`, sha: forkSha })).toEqual([]);
    expect(github.requests.some((r) => r.path.endsWith("/collaborators/stranger/permission"))).toBe(true);

    // 3. A maintainer clicks: the matrix runs, and the approval run says who approved.
    permission("keeper", "write");
    expect((await postWebhook(server.port, "check_run", click("keeper"))).status).toBe(200);
    const completions = () => patches().filter((p) => p.status === "completed");
    await waitFor(() => (completions().length >= 2 ? true : undefined), 180_000, "the cell's and the new aggregate's completions");
    expect(completions().map((p) => p.conclusion)).toEqual(["success", "success"]);
    // The approval run, then the build's own "Pony CI" (when planned; it supersedes the approval run) and its cell (when it starts).
    expect(creates().map((c) => c.name)).toEqual(["Pony CI", "Pony CI", "Python 3.11 · Django 5.2"]);
    expect(completions().every((p) => p.id !== approvalId)).toBe(true);
    expect(server.ponyci.store.findBuilds({ repo: `pony/${name}`, sha: forkSha })[0]).toMatchObject({ prNumber: 7, event: "pull_request" });
    const approved = await waitFor(() => patches().find((p) => p.id === approvalId), 30_000, "the approval run's update");
    // It stays action_required (never a passing "Pony CI" before the cells ran); only its text and button change.
    expect(approved).toMatchObject({ output: { title: "Approved by @keeper" }, actions: [] });
    expect(approved.conclusion).toBeUndefined();
  }, 240_000);
});

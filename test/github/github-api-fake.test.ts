import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import nock from "nock";
import { Octokit } from "@octokit/rest";
import { nockGitHub } from "../support/github-api-fake.js";

const UPDATE = "/repos/{owner}/{repo}/check-runs/{check_run_id}";

function octokit(): Octokit {
  const quiet = () => undefined;
  return new Octokit({ auth: "test-token", log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
}

describe("nockGitHub", () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());

  it("answers check-run writes made through Octokit and records their bodies", async () => {
    const github = nockGitHub({ firstCheckRunId: 42 }).createCheckRun("octo", "polls").updateCheckRun("octo", "polls", 42, { times: 2 });
    const created = await octokit().rest.checks.create({ owner: "octo", repo: "polls", name: "Python 3.13 · Django 5.2", head_sha: "a".repeat(40), status: "queued" });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ id: 42, name: "Python 3.13 · Django 5.2", status: "queued" });

    await octokit().rest.checks.update({ owner: "octo", repo: "polls", check_run_id: 42, status: "in_progress", output: { title: "Running", summary: "s" } });
    const done = await octokit().rest.checks.update({ owner: "octo", repo: "polls", check_run_id: 42, conclusion: "success", output: { title: "1 passed", summary: "s" } });
    expect(done.data).toMatchObject({ id: 42, status: "completed", conclusion: "success" });

    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /repos/octo/polls/check-runs",
      "PATCH /repos/octo/polls/check-runs/42",
      "PATCH /repos/octo/polls/check-runs/42",
    ]);
    expect(github.bodies("PATCH", UPDATE)).toEqual([
      { status: "in_progress", output: { title: "Running", summary: "s" } },
      { conclusion: "success", output: { title: "1 passed", summary: "s" } },
    ]);
    expect(() => github.assertDone()).not.toThrow();
  });

  it("answers a body that breaks GitHub's schema with 422, and assertDone reports it", async () => {
    const github = nockGitHub().updateCheckRun("octo", "polls");
    const annotations = Array.from({ length: 51 }, (_, i) => ({ path: "a.py", start_line: i + 1, end_line: i + 1, annotation_level: "failure" as const, message: "m" }));
    await expect(
      octokit().rest.checks.update({ owner: "octo", repo: "polls", check_run_id: 7, output: { title: "t", summary: "s", annotations } }),
    ).rejects.toMatchObject({ status: 422, message: expect.stringContaining("/output/annotations must NOT have more than 50 items") });
    expect(github.violations()).toHaveLength(1);
    expect(github.requests[0]?.path).toBe("/repos/octo/polls/check-runs/7");
    expect(() => github.assertDone()).toThrow(/invalid bodies[\s\S]*more than 50 items/);
  });

  it("issues installation tokens", async () => {
    const github = nockGitHub().installationToken(2, { token: "ghs_abc" });
    const answer = await octokit().request("POST /app/installations/{installation_id}/access_tokens", { installation_id: 2 });
    expect(answer.data).toMatchObject({ token: "ghs_abc", permissions: { checks: "write" } });
    expect(() => github.assertDone()).not.toThrow();
  });

  it("intercepts any operation of the spec, leaving unnamed parameters open", async () => {
    const github = nockGitHub().intercept("GET", "/repos/{owner}/{repo}/contents/{path}", { owner: "octo", repo: "polls" }, { status: 404, body: { message: "Not Found" } });
    await expect(octokit().rest.repos.getContent({ owner: "octo", repo: "polls", path: ".github/ponyci.yml", ref: "main" })).rejects.toMatchObject({ status: 404 });
    expect(github.requests[0]).toMatchObject({ method: "GET", path: "/repos/octo/polls/contents/.github%2Fponyci.yml?ref=main", errors: [] });
  });

  it("refuses operations GitHub does not have, and reports interceptors never used", () => {
    expect(() => nockGitHub().intercept("POST", "/repos/{owner}/{repo}/check-run", {}, { status: 201 })).toThrow(/not in GitHub's REST spec/);
    const github = nockGitHub().createCheckRun("octo", "polls");
    expect(() => github.assertDone()).toThrow(/still expects: POST .*check-runs/);
  });

  it("lets nothing reach the network when net connect is disabled", async () => {
    nockGitHub().createCheckRun("octo", "polls");
    await expect(octokit().rest.checks.create({ owner: "someone", repo: "else", name: "n", head_sha: "abc" })).rejects.toThrow(/Disallowed net connect|No match for request/);
  });
});

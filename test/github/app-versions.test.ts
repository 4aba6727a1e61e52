import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { SNAPSHOT_FILE } from "../../src/builds/versions/django-support.js";
import { FIXTURES, createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { INSTALLATION_ID, fakeGitHub, postWebhook, pushPayload, serveContents, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import type { RunningServer } from "../../src/server/start-server.js";
import type { GitHubApiFake } from "../support/github-api-fake.js";

const CHECK_RUNS = "/repos/{owner}/{repo}/check-runs";
const CHECK_RUN = "/repos/{owner}/{repo}/check-runs/{check_run_id}";

/**
 * Issue 21's done-when through the GitHub App: a tox envlist of Python
 * 3.10, 3.12, 3.14 × Django 4.2 and 6.1 gets the four cells Django
 * supports (the shipped table), each on a Python this installation has or
 * builds on the cell's first need, and every check run completes green.
 * On a machine without those images the first run builds them (minutes);
 * runner/host/setup.sh builds none of them.
 */
describe("GitHub App: every Python and Django the project declares", () => {
  let server: RunningServer;
  let github: GitHubApiFake;
  let repo: FixtureRepo;

  beforeAll(async () => {
    repo = await createFixtureRepo("django-versions");
    github = fakeGitHub();
    server = await startTestServer({ settings: testServerSettings({ PONYCI_DJANGO_SUPPORT: SNAPSHOT_FILE, PONYCI_CONCURRENCY: "2", PONYCI_RUNNER_PYTHONS: "3.9,3.10,3.11,3.12,3.13,3.14" }) });
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 1000 });
  });
  afterEach(() => {
    expect(github.violations()).toEqual([]);
  });

  it("a push plans py{310,312,314}-django{42,61} to the four supported cells and completes each check run, and the aggregate, as success", async () => {
    github.installationToken(INSTALLATION_ID, { times: 10 }).createCheckRun("pony", "versions", { times: 5 }).updateCheckRun("pony", "versions", undefined, { times: 20 });
    serveContents(github, "pony", "versions", { "tox.ini": await readFile(path.join(FIXTURES, "django-versions/tox.ini"), "utf8") });

    const response = await postWebhook(server.port, "push", pushPayload(repo, { fullName: "pony/versions" }));
    expect(response.status).toBe(200);

    const creates = () => github.bodies("POST", CHECK_RUNS) as Array<{ name: string }>;
    const completions = () => (github.bodies("PATCH", CHECK_RUN) as Array<{ status?: string; conclusion?: string }>).filter((b) => b.status === "completed");
    // Four cells and the aggregate `Pony CI` (issue 25), which completes last.
    await waitFor(() => completions().length >= 5 || undefined, 900_000, "five completed check runs");
    expect(creates().map((c) => c.name).sort()).toEqual(["Pony CI", "Python 3.10 · Django 4.2", "Python 3.12 · Django 4.2", "Python 3.12 · Django 6.1", "Python 3.14 · Django 6.1"]);
    expect(completions().map((c) => c.conclusion)).toEqual(["success", "success", "success", "success", "success"]);
  }, 960_000);
});

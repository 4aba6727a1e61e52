import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import path from "node:path";
import { FIXTURES, createFixtureRepo, lineOf, type FixtureRepo } from "../support/fixture-repo.js";
import { INSTALLATION_ID, fakeGitHub, postWebhook, pushPayload, serveContents, startTestServer, waitFor } from "../support/github-app-harness.js";
import type { RunningServer } from "../../src/server/start-server.js";
import type { GitHubApiFake } from "../support/github-api-fake.js";

const CHECK_RUN = "/repos/{owner}/{repo}/check-runs/{check_run_id}";
const CONFIG = 'python: ["3.11"]\ndjango: ["5.2"]\n';

/**
 * End to end over HTTP: a signed webhook reaches the running server, a real
 * container runs the fixture, and the check run's writes (validated against
 * GitHub's schema) tell the story.
 */
describe("GitHub App end to end", () => {
  let server: RunningServer;
  let github: GitHubApiFake;
  let failing: FixtureRepo;

  beforeAll(async () => {
    failing = await createFixtureRepo("django-fail");
    github = fakeGitHub();
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 1000 });
  });
  afterEach(() => {
    expect(github.violations()).toEqual([]);
  });

  it("a push runs the failing fixture and completes its check run as failure, annotated at the failing line", async () => {
    github.installationToken(INSTALLATION_ID).createCheckRun("pony", "app", { times: 2 }).updateCheckRun("pony", "app", undefined, { times: 10 });
    // The confirmation re-run of never-seen failures is its own scenario (failure-scenarios.test.ts); here, the plain write economy.
    serveContents(github, "pony", "app", { ".github/ponyci.yml": `${CONFIG}confirm_failures: false\n` });

    const response = await postWebhook(server.port, "push", pushPayload(failing));
    expect(response.status).toBe(200);

    type Body = { name: string; head_sha: string; status?: string; conclusion?: string; external_id: string; details_url: string; output?: { title: string; annotations?: Array<{ path: string; start_line: number }> } };
    // The cell's run (the aggregate "Pony CI" is aggregate-check.test.ts's).
    const cellRun = () => github.checkRuns("pony", "app").find((run) => run.create.name !== "Pony CI");
    const completion = await waitFor(() => cellRun()?.updates.find((b) => b.status === "completed") as Body | undefined, 180_000, "the completion");

    const create = cellRun()?.create as Body | undefined;
    // The cell started at once: created in progress when its container started, no "queued" write.
    expect(create).toMatchObject({ name: "Python 3.11 · Django 5.2", head_sha: failing.sha, status: "in_progress" });
    expect(create?.details_url).toMatch(/^http:\/\/ci\.example\.test\/builds\/\d+/);
    expect(cellRun()?.updates.map((p) => p.status)).toEqual(["completed"]);
    expect(completion.conclusion).toBe("failure");
    // The first build of main has no base: the title says so before the counts.
    expect(completion.output?.title).toMatch(/^3 failures with no base to compare · 1 passed, 2 failed, 1 error in \d/);
    const line = lineOf(path.join(FIXTURES, "django-fail/polls/tests.py"), "ponyci-expect-fail");
    expect(completion.output?.annotations).toEqual(expect.arrayContaining([expect.objectContaining({ path: "polls/tests.py", start_line: line, end_line: line, annotation_level: "failure" })]));
    // Write economy: the cell's create (in progress) + completion (annotations fit in one request); Pony CI's create + completion.
    await waitFor(() => (server.ponyci.outbox.backlog() === 0 ? true : undefined), 30_000, "the outbox to drain");
    expect(github.requests.filter((r) => r.method !== "GET" && !r.path.includes("access_tokens")).length).toBe(4);

    // details_url leads to the build's page, with the failure's location.
    const page = await fetch(create?.details_url.replace("http://ci.example.test", `http://127.0.0.1:${server.port}`) ?? "", { headers: { connection: "close" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Python 3.11 · Django 5.2: failure");
    expect(html).toContain(`polls/tests.py:${line}`);
    expect((await fetch(`http://127.0.0.1:${server.port}/builds/999999`)).status).toBe(404);
  });

  it("a bad signature gets a 4xx and changes nothing", async () => {
    const before = server.ponyci.store.listBuilds().length;
    const response = await postWebhook(server.port, "push", pushPayload(failing, { fullName: "pony/other" }), { secret: "not-the-secret" });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(server.ponyci.store.listBuilds()).toHaveLength(before);
  });

  it("the same delivery twice builds once", async () => {
    // A re-run request is never deduplicated by commit: only the delivery id can stop the second one.
    const repo = await createFixtureRepo("django-pass");
    github.installationToken(INSTALLATION_ID).createCheckRun("pony", "twice", { times: 4 }).updateCheckRun("pony", "twice", undefined, { times: 10 });
    serveContents(github, "pony", "twice", { ".github/ponyci.yml": CONFIG });
    const payload = {
      action: "rerequested",
      check_suite: { id: 1, head_sha: repo.sha, head_branch: "main", app: { id: 4242 } },
      repository: { id: 3, full_name: "pony/twice", name: "twice", clone_url: repo.dir, private: false, default_branch: "main", owner: { login: "pony" } },
      installation: { id: INSTALLATION_ID },
      sender: { login: "octocat", id: 1 },
    };
    expect((await postWebhook(server.port, "check_suite", payload, { delivery: "same-delivery" })).status).toBe(200);
    expect((await postWebhook(server.port, "check_suite", payload, { delivery: "same-delivery" })).status).toBe(200);
    expect(server.ponyci.store.listBuilds({ repo: "pony/twice" })).toHaveLength(1);
    // A new delivery of the same request is a new re-run.
    expect((await postWebhook(server.port, "check_suite", payload, { delivery: "another-delivery" })).status).toBe(200);
    expect(server.ponyci.store.listBuilds({ repo: "pony/twice" })).toHaveLength(2);
    await waitFor(() => ((github.bodies("PATCH", CHECK_RUN) as Array<{ conclusion?: string }>).filter((b) => b.conclusion === "success").length >= 4 ? true : undefined), 180_000, "both completions");
  });

});

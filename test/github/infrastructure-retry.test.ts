import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { INSTALLATION_ID, fakeGitHub, postWebhook, pushPayload, serveContents, startTestServer, waitFor } from "../support/github-app-harness.js";
import { createTestRunner } from "../support/test-runner.js";
import type { RunningServer } from "../../src/server/start-server.js";
import type { GitHubApiFake } from "../support/github-api-fake.js";
import type { LocalRunner } from "../../runner/src/create-local-runner.js";
import { InfrastructureError } from "../../src/domain/errors.js";
import { emptyCounts } from "../../src/domain/events.js";

/**
 * Infrastructure errors are retried first, then reported as what they are:
 * the backend here is the real one (checkout, Docker) except that running a
 * cell always fails the way a vanished Docker daemon does.
 */
describe("infrastructure errors", () => {
  let server: RunningServer;
  let github: GitHubApiFake;
  let attempts = 0;

  beforeAll(async () => {
    github = fakeGitHub();
    const real = createTestRunner();
    const broken: LocalRunner = {
      ...real,
      cells: {
        runCell: async function* (spec) {
          attempts++;
          yield {
            type: "finished",
            conclusion: "error",
            counts: emptyCounts(),
            durationMs: 1,
            testDurationMs: 0,
            error: { message: "Infrastructure error: connect ENOENT /var/run/docker.sock" },
            infrastructureError: new InfrastructureError(`connect ENOENT /var/run/docker.sock (job ${spec.jobId})`),
          };
        },
      },
    };
    server = await startTestServer({ runner: broken, queueOptions: { maxAttempts: 3, backoff: () => 20 } });
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 500 });
  });

  it("retries a cell twice, then completes its check run saying it was the infrastructure", async () => {
    const repo = await createFixtureRepo("django-pass");
    github.installationToken(INSTALLATION_ID, { times: 3 }).createCheckRun("pony", "infra", { times: 2 }).updateCheckRun("pony", "infra", undefined, { times: 10 });
    serveContents(github, "pony", "infra", { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\n' });
    await postWebhook(server.port, "push", pushPayload(repo, { fullName: "pony/infra" }));
    // The cell never started (each attempt failed before its container ran): its run is created by its completion.
    const done = await waitFor(() => {
      const run = github.checkRuns("pony", "infra").find((r) => r.create.name !== "Pony CI");
      return (run?.create.status === "completed" ? run.create : run?.updates.find((u) => u.status === "completed")) as { conclusion?: string; output?: { title: string } } | undefined;
    }, 60_000, "the completion");
    expect(attempts).toBe(3);
    expect(done.conclusion).toBe("failure");
    expect(done.output?.title).toMatch(/^Infrastructure error/);
    const [build] = server.ponyci.store.listBuilds({ repo: "pony/infra" });
    const [job] = server.ponyci.store.listJobs(build?.id ?? 0);
    expect(job).toMatchObject({ conclusion: "error", attempts: 3, error: { kind: "infrastructure" } });
    expect(github.violations()).toEqual([]);
  });

  it("plans again when GitHub fails while the config is read: the build is not lost", async () => {
    const repo = await createFixtureRepo("django-pass");
    github.installationToken(INSTALLATION_ID, { times: 3 }).createCheckRun("pony", "flaky", { times: 2 }).updateCheckRun("pony", "flaky", undefined, { times: 10 });
    // Every read fails once (a GitHub outage), then the files are there.
    github.intercept("GET", "/repos/{owner}/{repo}/contents/{path}", { owner: "pony", repo: "flaky" }, { status: 502, body: { message: "Bad Gateway" } }, { times: 5 });
    serveContents(github, "pony", "flaky", { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\n' });
    const answer = await postWebhook(server.port, "push", pushPayload(repo, { fullName: "pony/flaky" }));
    expect(answer.status).toBe(200);
    // Planned after the retry: the commit's "Pony CI" shows (the cell's own run follows when it ends: here every attempt fails before it starts).
    const create = await waitFor(() => github.bodies("POST", "/repos/{owner}/{repo}/check-runs").find((b) => (b as { head_sha?: string }).head_sha === repo.sha), 30_000, "the check run after the retry");
    expect(create).toMatchObject({ name: "Pony CI", status: "in_progress" });
    // The aggregate is queued as the plan is recorded: the store says so at once or a moment later.
    await waitFor(() => server.ponyci.store.listBuilds({ repo: "pony/flaky" })[0]?.planState === "planned" || undefined, 30_000, "the build planned");
  });
});

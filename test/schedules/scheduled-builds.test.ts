import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Cron } from "croner";
import { isDue } from "../../src/schedules/is-due.js";
import { parseRepoConfig } from "../../src/builds/config/parse-repo-config.js";
import { RepoConfigError } from "../../src/builds/config/repo-config-error.js";
import { parsePrivateRepos } from "../../src/bridge/parse-private-repos.js";
import type { Clock } from "../../src/domain/clock.js";
import type { BuildRecord } from "../../src/store/build-rows.js";
import { describeTrigger } from "../../src/web/format.js";
import type { RunningServer } from "../../src/server/start-server.js";
import { createScriptedRunner, type CommitScript } from "../support/create-scripted-runner.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { INSTALLATION_ID, fakeGitHub, postWebhook, pushPayload, serveContents, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import type { GitHubApiFake } from "../support/github-api-fake.js";

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

describe("when a schedule is due (pure)", () => {
  it.each<[string, string, string, boolean]>([
    ["0 3 * * *", "2026-12-06T02:00:00Z", "2026-12-06T02:59:59Z", false],
    ["0 3 * * *", "2026-12-06T02:00:00Z", "2026-12-06T03:00:00Z", true],
    // The server was down for three nights: due, once (the caller records now as the last tick).
    ["0 3 * * *", "2026-12-01T03:00:00Z", "2026-12-04T09:00:00Z", true],
    ["0 3 * * *", "2026-12-04T09:00:00Z", "2026-12-04T23:59:00Z", false],
    // UTC, whatever the host's zone; weekdays by name.
    ["30 2 * * MON", "2026-12-06T00:00:00Z", "2026-12-07T02:30:00Z", true],
    ["30 2 * * MON", "2026-12-07T02:30:00Z", "2026-12-13T23:00:00Z", false],
  ])("%s, last tick %s, now %s → %s", (cron, since, now, due) => {
    expect(isDue(cron, at(since), at(now))).toBe(due);
  });
});

describe("schedule: in .github/ponyci.yml and in the private repositories' file", () => {
  it("reads cron entries, with branches optional, and a single cron string as a shorthand", () => {
    expect(parseRepoConfig('schedule:\n  - cron: "0 3 * * *"\n  - {cron: "30 2 * * 1", branches: [main, stable/5.x]}\n').schedule).toEqual([
      { cron: "0 3 * * *" },
      { cron: "30 2 * * 1", branches: ["main", "stable/5.x"] },
    ]);
    expect(parseRepoConfig('schedule: "0 3 * * *"\n').schedule).toEqual([{ cron: "0 3 * * *" }]);
    expect(parseRepoConfig('python: ["3.11"]\n').schedule).toEqual([]);
  });

  it.each<[string, number, RegExp]>([
    ['python: ["3.11"]\nschedule:\n  - cron: "0 3 * *"\n', 3, /has 4 fields; write five/],
    ['schedule:\n  - cron: "0 25 * * *"\n', 2, /not a cron expression/],
    ['schedule:\n  - cron: "0 3 * * * *"\n', 2, /has 6 fields/],
    ['schedule:\n  - {cron: "0 3 * * *", branches: ["--upload-pack=x"]}\n', 2, /not a branch name/],
    ['schedule:\n  - {cron: "0 3 * * *", branch: main}\n', 2, /unknown key `branch` in `schedule`: the keys are cron, branches/],
    ["schedule: {cron: x}\n", 1, /must be a list of cron entries/],
  ])("refuses %j at line %i", (text, line, message) => {
    let error: unknown;
    try {
      parseRepoConfig(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RepoConfigError);
    expect((error as RepoConfigError).line).toBe(line);
    expect((error as Error).message).toMatch(message);
  });

  it("reads a private repository's schedule", () => {
    const text = ["repositories:", "  - name: project", "    url: /srv/git/project.git", "    secret: 0123456789abcdef0123456789", "    schedule:", '      - cron: "0 3 * * *"', "        branches: [develop]"].join("\n");
    expect(parsePrivateRepos(text, { file: "repos.yml", readSecretFile: () => "" })[0]?.schedule).toEqual([{ cron: "0 3 * * *", branches: ["develop"] }]);
  });
});

/** A clock the test moves; the scheduler's loop sleeps until the server stops (ticks come from the test). */
function manualClock(start: number): Clock & { set(t: number): void } {
  let now = start;
  return {
    now: () => now,
    set: (t) => (now = t),
    sleep: (_ms, signal) => new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener("abort", () => resolve(), { once: true }))),
  };
}

describe("scheduled builds through the server", () => {
  let server: RunningServer;
  let github: GitHubApiFake;
  const scripts = new Map<string, CommitScript>();
  const runner = createScriptedRunner(mkdtempSync(path.join(tmpdir(), "ponyci-scripted-")), () => scripts);
  const clock = manualClock(Date.now());
  const sha = (name: string) => createHash("sha1").update(`schedule:${name}`).digest("hex");
  let privateHead = "";

  beforeAll(async () => {
    github = fakeGitHub();
    github.installationToken(INSTALLATION_ID, { times: 30 });
    const privateRepo = await createFixtureRepo("django-pass");
    privateHead = await privateRepo.commit("config", { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\n' });
    scripts.set(privateHead, { "polls.tests.T.test_ok": "passed" });
    const reposFile = path.join(mkdtempSync(path.join(tmpdir(), "ponyci-repos-")), "repos.yml");
    writeFileSync(reposFile, ["repositories:", "  - name: nightly-project", `    url: ${privateRepo.dir}`, "    secret: 0123456789abcdef0123456789abcdef", "    branches: [main]", "    schedule:", '      - cron: "0 3 * * *"'].join("\n"));
    server = await startTestServer({ runner, scheduleClock: clock, settings: testServerSettings({ PONYCI_PRIVATE_REPOS: reposFile }) });
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 1000 });
  });
  afterEach(() => {
    expect(github.violations()).toEqual([]);
  });

  it("a cron tick builds the branch's head, with check runs on that commit; a missed schedule runs once, not per missed tick", async () => {
    const repository = { id: 31, full_name: "pony/nightly", name: "nightly", clone_url: "/nonexistent/scripted", private: false, default_branch: "main", owner: { login: "pony" } };
    github.createCheckRun("pony", "nightly", { times: 20 }).updateCheckRun("pony", "nightly", undefined, { times: 40 });
    serveContents(github, "pony", "nightly", { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\nschedule:\n  - cron: "0 3 * * *"\n  - {cron: "0 4 * * *", branches: [stable/5.x]}\n' }, 8);
    const pushed = sha("pushed");
    const head = sha("main-head");
    const stable = sha("stable-head");
    for (const commit of [pushed, head, stable]) scripts.set(commit, { "polls.tests.T.test_ok": "passed" });
    // 1. A push to the default branch: its config's schedule is what the scheduler reads.
    await postWebhook(server.port, "push", { ...pushPayload({ dir: repository.clone_url, sha: pushed }, { fullName: "pony/nightly" }), repository });
    await waitFor(() => server.ponyci.store.findBuilds({ repo: "pony/nightly", sha: pushed })[0]?.plan.schedule, 30_000, "the push's plan");
    const heads = { main: head, "stable/5.x": stable };
    github.intercept("GET", "/repos/{owner}/{repo}/branches/{branch}", { owner: "pony", repo: "nightly" }, (request) => {
      const branch = decodeURIComponent(request.path.split("/branches/")[1] ?? "") as keyof typeof heads;
      return { status: 200, body: { name: branch, commit: { sha: heads[branch] }, protected: false } };
    }, { times: 10 });

    // 2. Before 03:00 UTC nothing is due; at 03:00 the default branch's head builds (stable's 04:00 not yet).
    const nextThree = (new Cron("0 3 * * *", { timezone: "UTC", paused: true }).nextRun(new Date())?.getTime() ?? 0);
    clock.set(nextThree - 60_000);
    expect((await server.scheduler.tick()).filter((s) => s.startsWith("pony/"))).toEqual([]);
    clock.set(nextThree + 30_000);
    expect((await server.scheduler.tick()).filter((s) => s.startsWith("pony/"))).toEqual([expect.stringMatching(/^pony\/nightly@main #\d+$/)]);
    const [scheduled] = server.ponyci.store.findBuilds({ repo: "pony/nightly", sha: head });
    expect(scheduled).toMatchObject({ event: "schedule", branch: "main", source: "github" });
    // Check runs on the commit it built, the aggregate saying why.
    const pony = await waitFor(() => {
      const run = github.checkRuns("pony", "nightly").find((r) => r.create.head_sha === head && r.create.name === "Pony CI");
      return server.ponyci.outbox.backlog() === 0 ? run?.updates.find((u) => u.status === "completed") : undefined;
    }, 60_000, "the scheduled build's Pony CI");
    expect(pony).toMatchObject({ conclusion: "success" });
    expect(String((pony.output as { summary: string }).summary).replaceAll("\\", "")).toMatch(/^Scheduled build of main \(cron "0 3 \* \* \*", UTC\)/);
    expect(github.checkRuns("pony", "nightly").filter((r) => r.create.head_sha === head).map((r) => r.create.name)).toEqual(["Pony CI", "Python 3.11 · Django 5.2"]);
    // The same minute again: nothing.
    expect((await server.scheduler.tick()).filter((s) => s.startsWith("pony/"))).toEqual([]);

    // 3. Down for three days: each schedule builds once at the next tick, not once per missed tick.
    clock.set(nextThree + 3 * DAY + 2 * 3_600_000);
    expect((await server.scheduler.tick()).filter((s) => s.startsWith("pony/")).sort()).toEqual([expect.stringMatching(/^pony\/nightly@main #/), expect.stringMatching(/^pony\/nightly@stable\/5\.x #/)]);
    expect((await server.scheduler.tick()).filter((s) => s.startsWith("pony/"))).toEqual([]);
    const builds = server.ponyci.store.listBuilds({ repo: "pony/nightly" });
    expect(builds.filter((b) => b.event === "schedule").map((b) => b.branch).sort()).toEqual(["main", "main", "stable/5.x"]);
    // The same main commit built twice by the schedule: a nightly re-tests an unchanged commit.
    expect(builds.filter((b) => b.sha === head)).toHaveLength(2);
  });

  it("the private repositories' file schedules builds of the private server's branch", async () => {
    // Its schedule counts from the scheduler's start and ticked with the others above; two days later, again.
    clock.set(clock.now() + 2 * DAY);
    const submitted = await server.scheduler.tick();
    expect(submitted).toEqual(expect.arrayContaining([expect.stringMatching(/^nightly-project@main #\d+$/)]));
    const [build] = server.ponyci.store.findBuilds({ repo: "nightly-project", sha: privateHead });
    expect(build).toMatchObject({ event: "schedule", source: "bridge", branch: "main" });
    // The dashboards say why it ran.
    expect(describeTrigger(build as BuildRecord)).toBe("scheduled (0 3 * * *)");
    await waitFor(() => (server.ponyci.store.listJobs(build?.id ?? 0).some((j) => j.state === "finished") ? true : undefined), 60_000, "the private scheduled build's cell");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { fakeGitHub, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { createSteeredRunner } from "../support/steered-runner.js";
import type { RunningServer } from "../../src/server/start-server.js";
import type { BuildRecord } from "../../src/store/build-rows.js";
import { PASSWORD, writeUsersFile } from "./dashboard-fixtures.js";
import { readSse } from "./read-sse.js";
import { WebClient } from "./web-client.js";

/**
 * The dashboard's buttons go through the build service like GitHub's (new
 * builds for re-runs, the queue's cancel for running cells), and the list
 * page's live stream tells each viewer only about builds they may see.
 */
describe("dashboard actions and the live list stream", () => {
  let server: RunningServer;
  let base: string;
  let repo: FixtureRepo;
  let adminToken: string;
  const scripted = createSteeredRunner();

  const submit = async (name: string, visibility: "public" | "private"): Promise<BuildRecord> => {
    const submitted = server.ponyci.builds.submit({ source: "bridge", repo: { name, cloneUrl: repo.dir, visibility }, sha: repo.sha, branch: "main", event: "post-receive" });
    await submitted?.planned;
    return submitted?.build as BuildRecord;
  };
  const finishAll = (buildId: number) =>
    waitFor(() => {
      for (const cell of scripted.running()) if (server.ponyci.store.getJob(cell.jobId)?.buildId === buildId) cell.finish();
      return server.ponyci.store.listJobs(buildId).every((j) => j.state === "finished" || j.state === "cancelled") || undefined;
    }, 30_000, `build #${buildId} to end`);

  beforeAll(async () => {
    fakeGitHub();
    const users = writeUsersFile();
    adminToken = users.token;
    server = await startTestServer({ runner: scripted.runner, settings: testServerSettings({ PONYCI_CONCURRENCY: "4", PONYCI_WEB_USERS: users.file, PONYCI_SESSION_SECRET: "c".repeat(40) }) });
    base = `http://127.0.0.1:${server.port}`;
    repo = await createFixtureRepo("django-pass");
  });
  afterAll(async () => {
    for (const cell of scripted.running()) cell.finish();
    await server?.stop({ graceMs: 500 });
  });

  it("cancels a running cell, re-runs one cell and the whole build, for an operator", async () => {
    const build = await submit("acted-on", "private");
    const cells = server.ponyci.store.listJobs(build.id);
    const first = cells[0];
    await waitFor(() => scripted.cell(first?.id ?? ""), 30_000, "the first cell to run");
    const alice = new WebClient(base);
    await alice.signIn("alice", PASSWORD);
    const page = await alice.get(`/builds/${build.id}/jobs/${first?.id}`);
    const csrf = WebClient.csrfOf(page.text);
    expect(page.text).toContain("Cancel");

    const cancelled = await alice.post(`/builds/${build.id}/jobs/${first?.id}/cancel`, { csrf });
    expect(cancelled.status).toBe(303);
    await waitFor(() => server.ponyci.store.getJob(first?.id ?? "")?.state === "cancelled" || undefined, 30_000, "the cancel");
    await finishAll(build.id);

    const rerunCell = await alice.post(`/builds/${build.id}/jobs/${first?.id}/rerun`, { csrf });
    expect(rerunCell.status).toBe(303);
    const cellBuildId = Number(/\/builds\/(\d+)$/.exec(rerunCell.headers.get("location") ?? "")?.[1]);
    const cellBuild = await waitFor(() => (server.ponyci.store.getBuild(cellBuildId)?.planState === "planned" ? server.ponyci.store.getBuild(cellBuildId) : undefined), 30_000, "the cell re-run");
    expect(cellBuild.event).toBe("rerequested");
    expect(server.ponyci.store.listJobs(cellBuildId).map((j) => j.cell)).toEqual([first?.cell]);
    await finishAll(cellBuildId);

    // An admin token needs no CSRF token (it is not a cookie a browser sends by itself).
    const rerunBuild = await fetch(`${base}/builds/${build.id}/rerun`, { method: "POST", redirect: "manual", headers: { authorization: `Bearer ${adminToken}` } });
    expect(rerunBuild.status).toBe(303);
    const buildId = Number(/\/builds\/(\d+)$/.exec(rerunBuild.headers.get("location") ?? "")?.[1]);
    await waitFor(() => (server.ponyci.store.getBuild(buildId)?.planState === "planned" || undefined), 30_000, "the build re-run");
    expect(server.ponyci.store.listJobs(buildId).map((j) => j.cell)).toEqual(cells.map((j) => j.cell));
    await finishAll(buildId);
  });

  it("streams tile changes of public builds to a stranger and of private ones only to those who may see them", async () => {
    const stranger = readSse(`${base}/events`);
    const alice = new WebClient(base);
    await alice.signIn("alice", PASSWORD);
    const signedIn = readSse(`${base}/events`, { cookie: [...alice.cookies].map(([k, v]) => `${k}=${v}`).join("; ") });
    expect(await stranger.status).toBe(200);
    expect(await signedIn.status).toBe(200);
    const hidden = await submit("hidden-project", "private");
    const shown = await submit("shown-app", "public");
    await finishAll(hidden.id);
    await finishAll(shown.id);
    const buildsIn = (events: typeof stranger.events) => new Set(events.filter((e) => e.event === "tile").map((e) => (JSON.parse(e.data) as { buildId: number }).buildId));
    await waitFor(() => (buildsIn(signedIn.events).has(hidden.id) && buildsIn(signedIn.events).has(shown.id) && buildsIn(stranger.events).has(shown.id)) || undefined, 10_000, "tile events");
    expect(buildsIn(stranger.events).has(hidden.id)).toBe(false);
    expect(stranger.events.map((e) => e.data).join()).not.toContain("hidden-project");
    const finalTile = stranger.events.filter((e) => e.event === "tile").map((e) => JSON.parse(e.data) as { buildId: number; state: string }).filter((t) => t.buildId === shown.id).at(-1);
    expect(finalTile?.state).toBe("success");
    stranger.close();
    signedIn.close();
  });
});

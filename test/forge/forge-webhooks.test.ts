import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createHmac } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadPrivateRepos } from "../../src/bridge/load-private-repos.js";
import { listDeliveries } from "../../src/notify/list-deliveries.js";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { startFakeForgeServer, type FakeForgeServer } from "../support/fake-forge-server.js";
import { postLocal } from "../support/signed-webhooks.js";
import { startBridgeServer, type BridgeTestServer } from "../bridge/bridge-server.js";
import { createBareRepo, git, writeSecretFile } from "../bridge/git-server.js";

const PUBLIC_URL = "http://ci.example.test";
const SECRET = "forge-webhook-secret-0123456789";
const ZERO = "0".repeat(40);
const CELL = "ponyci/Python 3.11 · Django 5.2";

/**
 * Issue 26, private forges: a Gitea (or Forgejo) and a GitLab send push
 * webhooks to the bridge; the build runs in Docker; the forge gets commit
 * statuses per cell and for the build, pending then the verdict, each body
 * checked against the forge's published API description (test/fixtures/forges).
 */
describe("push webhooks of Gitea and GitLab, and commit statuses back", () => {
  let forge: FakeForgeServer;
  let server: BridgeTestServer;
  let giteaRepo: FixtureRepo;
  let gitlabRepo: FixtureRepo;
  let gitlabBare: string;

  beforeAll(async () => {
    forge = await startFakeForgeServer();
    const config = mkdtempSync(path.join(tmpdir(), "ponyci-forge-config-"));
    writeSecretFile(config, "gitea-token", "gitea-token-value");
    const giteaBare = await createBareRepo("forge-gitea");
    gitlabBare = await createBareRepo("forge-gitlab");
    const reposFile = path.join(config, "private-repos.yml");
    writeFileSync(
      reposFile,
      [
        "repositories:",
        "  - name: on-gitea",
        `    url: ${giteaBare}`,
        `    secret: ${SECRET}`,
        `    forge: {type: gitea, api: ${forge.url}/api/v1, project: team/on-gitea, token_file: gitea-token.secret}`,
        "  - name: on-gitlab",
        `    url: ${gitlabBare}`,
        `    secret: ${SECRET}`,
        `    forge: {type: gitlab, api: ${forge.url}/api/v4, project: group/sub/on-gitlab, token: glpat-test-token}`,
        "",
      ].join("\n"),
    );
    server = await startBridgeServer({ repos: loadPrivateRepos(reposFile), run: true, forges: { publicUrl: PUBLIC_URL, backoff: () => 200 } });
    giteaRepo = await createFixtureRepo("bridge-project");
    await git(giteaRepo.dir, ["push", "-q", giteaBare, "main"]);
    gitlabRepo = await createFixtureRepo("bridge-project");
    await git(gitlabRepo.dir, ["push", "-q", gitlabBare, "main"]);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await forge?.close();
  });

  const post = (name: string, body: string, headers: Record<string, string>) => postLocal(Number(new URL(server.url).port), `/bridge/${name}/forge`, body, { "content-type": "application/json", ...headers });
  const giteaPush = (sha: string) => JSON.stringify({ ref: "refs/heads/main", before: ZERO, after: sha, compare_url: "", commits: [{ id: sha, message: "fixture\n" }], repository: { full_name: "team/on-gitea" }, pusher: { login: "dev" } });
  const gitlabPush = (sha: string) => JSON.stringify({ object_kind: "push", event_name: "push", ref: "refs/heads/main", before: ZERO, after: sha, checkout_sha: sha, project: { path_with_namespace: "group/sub/on-gitlab" }, commits: [] });
  const giteaHeaders = (body: string, delivery: string) => ({ "x-gitea-event": "push", "x-gitea-delivery": delivery, "x-gitea-signature": createHmac("sha256", SECRET).update(body).digest("hex") });

  it("refuses a Gitea webhook with a bad signature and a GitLab one with a bad token; ignores other events", async () => {
    const body = giteaPush(giteaRepo.sha);
    expect((await post("on-gitea", body, { ...giteaHeaders(body, "d-0"), "x-gitea-signature": "0".repeat(64) })).status).toBe(401);
    expect((await post("on-gitea", body, { "x-gitea-event": "push" })).status).toBe(401);
    expect((await post("on-gitlab", gitlabPush(gitlabRepo.sha), { "x-gitlab-event": "Push Hook", "x-gitlab-token": "wrong" })).status).toBe(401);
    expect((await post("nowhere", body, giteaHeaders(body, "d-x"))).status).toBe(401);
    const ping = await post("on-gitea", "{}", { "x-gitea-event": "issues", "x-gitea-signature": createHmac("sha256", SECRET).update("{}").digest("hex") });
    expect(ping.status).toBe(202);
    expect(JSON.parse(ping.body)).toMatchObject({ builds: [], summary: 'gitea event "issues" ignored: only pushes are built' });
    expect(server.store.listBuilds()).toEqual([]);
  });

  it("a Gitea push builds the repository and sets its statuses: pending, then success, linking to the dashboard", async () => {
    const body = giteaPush(giteaRepo.sha);
    const answer = await post("on-gitea", body, giteaHeaders(body, "delivery-1"));
    expect(answer.status).toBe(202);
    const accepted = JSON.parse(answer.body) as { builds: { id: number }[] };
    expect(accepted.builds).toHaveLength(1);
    // The same delivery again is a replay.
    expect((await post("on-gitea", body, giteaHeaders(body, "delivery-1"))).status).toBe(409);
    const build = await server.waitForBuild(accepted.builds[0]?.id as number);
    expect(build).toMatchObject({ repo: "on-gitea", source: "bridge", event: "push", branch: "main", sha: giteaRepo.sha, status: { conclusion: "success" } });
    await server.forges?.drain();
    const [job] = server.store.listJobs(build.id);
    const statuses = forge.statuses.filter((s) => s.forge === "gitea");
    expect(statuses.map((s) => s.violations)).toEqual(statuses.map(() => []));
    expect(statuses.every((s) => s.project === "team/on-gitea" && s.sha === giteaRepo.sha && s.auth === "token gitea-token-value")).toBe(true);
    const byContext = (context: string) => statuses.filter((s) => s.body.context === context).map((s) => s.body.state);
    expect(byContext("ponyci")).toEqual(["pending", "success"]);
    expect(byContext(CELL)).toEqual(["pending", "success"]);
    expect(statuses.find((s) => s.body.context === CELL && s.body.state === "success")?.body).toEqual({ state: "success", context: CELL, target_url: `${PUBLIC_URL}/builds/${build.id}/jobs/${job?.id}`, description: "3 passed, 0 failed" });
    expect(statuses.find((s) => s.body.context === "ponyci" && s.body.state === "success")?.body).toMatchObject({ target_url: `${PUBLIC_URL}/builds/${build.id}`, description: "1 cells passed" });
    expect(listDeliveries(server.store, build.id).map((d) => [d.channel, d.state])).toEqual([["forge status", "sent"], ["forge status", "sent"]]);
  }, 300_000);

  it("a GitLab push the same, in GitLab's words (failed, name, ref); a forge answering 500 is retried", async () => {
    const sha = await gitlabRepo.commit("a broken test", { "notes/test_broken.py": "from django.test import SimpleTestCase\n\n\nclass Broken(SimpleTestCase):\n    def test_it(self):\n        self.assertEqual(1, 2)\n" });
    await git(gitlabRepo.dir, ["push", "-q", gitlabBare, "main"]);
    forge.failNext(500, 1);
    const body = gitlabPush(sha);
    const answer = await post("on-gitlab", body, { "x-gitlab-event": "Push Hook", "x-gitlab-token": SECRET, "x-gitlab-event-uuid": "4c3e5b1f-0000-4000-8000-000000000001" });
    expect(answer.status).toBe(202);
    const id = (JSON.parse(answer.body) as { builds: { id: number }[] }).builds[0]?.id as number;
    const build = await server.waitForBuild(id);
    expect(build.status.conclusion).toBe("failure");
    await server.forges?.drain();
    const statuses = forge.statuses.filter((s) => s.forge === "gitlab");
    expect(statuses.map((s) => s.violations)).toEqual(statuses.map(() => []));
    expect(statuses.every((s) => s.project === "group/sub/on-gitlab" && s.sha === sha && s.auth === "glpat-test-token")).toBe(true);
    const byName = (name: string) => statuses.filter((s) => s.body.name === name).map((s) => s.body.state);
    expect(byName("ponyci")).toEqual(["pending", "failed"]);
    expect(byName(CELL)).toEqual(["pending", "failed"]);
    expect(statuses.find((s) => s.body.name === "ponyci" && s.body.state === "failed")?.body).toEqual({ state: "failed", name: "ponyci", ref: "main", target_url: `${PUBLIC_URL}/builds/${build.id}`, description: "1 of 1 cells failed" });
    // The first status met the scripted 500 and was sent again, before the verdict of its context.
    const writes = server.forges?.list().filter((w) => w.key.startsWith(`forge:${build.id}:`)) ?? [];
    expect(writes.map((w) => w.attempts).sort()).toEqual([1, 1, 1, 2]);
    expect(listDeliveries(server.store, build.id).every((d) => d.state === "sent")).toBe(true);
  }, 300_000);
});

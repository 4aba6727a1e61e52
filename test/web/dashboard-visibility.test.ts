import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import nock from "nock";
import { fakeGitHub, startTestServer, testServerSettings } from "../support/github-app-harness.js";
import type { GitHubApiFake } from "../support/github-api-fake.js";
import type { RunningServer } from "../../src/server/start-server.js";
import type { BuildRecord } from "../../src/store/build-rows.js";
import { HOSTILE, PASSWORD, recordFinishedBuild, writeUsersFile } from "./dashboard-fixtures.js";
import { WebClient } from "./web-client.js";

/**
 * Who sees what: a stranger sees public builds only, and a private build is
 * answered like a missing one everywhere (page, cell, SSE, badge, lists,
 * filters); signed-in users see more; every way around it is refused.
 */
describe("dashboard visibility and sign-in", () => {
  let server: RunningServer;
  let base: string;
  let github: GitHubApiFake;
  let token: string;
  let pub: BuildRecord;
  let secretGh: BuildRecord;
  let bridge: BuildRecord;

  beforeAll(async () => {
    github = fakeGitHub();
    const users = writeUsersFile();
    token = users.token;
    server = await startTestServer({
      settings: testServerSettings({ PONYCI_WEB_USERS: users.file, PONYCI_SESSION_SECRET: "s".repeat(40), GITHUB_CLIENT_ID: "Iv1.clientid", GITHUB_CLIENT_SECRET: "client-secret", PONYCI_PUBLIC_URL: "http://ci.example.test" }),
    });
    base = `http://127.0.0.1:${server.port}`;
    const store = server.ponyci.store;
    pub = recordFinishedBuild(store, { repo: "octo/app", source: "github", visibility: "public", branch: `feature/${HOSTILE}` });
    secretGh = recordFinishedBuild(store, { repo: "octo/secret-sauce", source: "github", visibility: "private" });
    bridge = recordFinishedBuild(store, { repo: "intranet-project", source: "bridge", visibility: "private" });
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 500 });
  });

  const privateNames = ["octo/secret-sauce", "intranet-project", "secret-sauce", "intranet"];

  it("shows a stranger the public build, escaped, and nothing of the private ones", async () => {
    const web = new WebClient(base);
    const list = await web.get("/");
    expect(list.status).toBe(200);
    expect(list.text).toContain("octo/app");
    for (const name of privateNames) expect(list.text).not.toContain(name);
    expect(list.text).not.toContain("<script>alert");
    expect(list.text).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;");
    expect(list.headers.get("content-security-policy")).toContain("script-src 'self'");

    const build = await web.get(`/builds/${pub.id}`);
    expect(build.status).toBe(200);
    const [job] = server.ponyci.store.listJobs(pub.id);
    const cell = await web.get(`/builds/${pub.id}/jobs/${job?.id}`);
    expect(cell.status).toBe(200);
    expect(cell.text).toContain("app/tests.py:42");
    expect(cell.text).toContain("log of octo/app line 1");
    expect(cell.text).toContain("AssertionError: &lt;script&gt;");
    expect(cell.text).toContain("exited with code 127 (no test failed)");
    expect(cell.text).toContain("coverage: not found &lt;script&gt;");
    expect(cell.text).not.toContain("<script>alert");

    const badge = await web.get(`/badge/octo/app.svg?branch=${encodeURIComponent(`feature/${HOSTILE}`)}`);
    expect(badge.status).toBe(200);
    expect(badge.headers.get("content-type")).toContain("image/svg+xml");
    expect(badge.headers.get("cache-control")).toMatch(/max-age=\d+/);
    expect(badge.text).toContain("failure");
    const etag = badge.headers.get("etag") as string;
    expect((await web.get(`/badge/octo/app.svg?branch=${encodeURIComponent(`feature/${HOSTILE}`)}`, { "if-none-match": etag })).status).toBe(304);
    const cellBadge = await web.get(`/badge/octo/app.svg?cell=py3.12-dj5.0`);
    expect(cellBadge.text).toContain("py3.12-dj5.0");
    expect(cellBadge.text).toContain("success");
    expect(cellBadge.headers.get("etag")).not.toBe(etag);
  });

  it("answers 404 to a stranger for every URL of a private build, exactly like a missing one", async () => {
    const web = new WebClient(base);
    const missing = await web.get("/builds/987654");
    for (const build of [secretGh, bridge]) {
      const [job] = server.ponyci.store.listJobs(build.id);
      for (const path of [`/builds/${build.id}`, `/builds/${build.id}/jobs/${job?.id}`, `/builds/${build.id}/jobs/${job?.id}/events`, `/builds/${build.id}/events`, `/badge/${build.repo}.svg`, `/repos/${encodeURIComponent(build.repo)}`, `/?repo=${encodeURIComponent(build.repo)}`]) {
        const answer = await web.get(path);
        if (path.startsWith("/?")) {
          // The filter echoes what was typed, and answers as for a repository that does not exist.
          const unknown = await web.get(`/?repo=${encodeURIComponent("nobody/nothing")}`);
          expect(answer.text.replaceAll(encodeURIComponent(build.repo), "X").replaceAll(build.repo, "X")).toBe(unknown.text.replaceAll(encodeURIComponent("nobody/nothing"), "X").replaceAll("nobody/nothing", "X"));
          continue;
        }
        expect({ path, status: answer.status, text: answer.text }).toEqual({ path, status: 404, text: missing.text });
      }
    }
    // A public job id under a private build number (and the reverse) is no way in.
    const [publicJob] = server.ponyci.store.listJobs(pub.id);
    expect((await web.get(`/builds/${secretGh.id}/jobs/${publicJob?.id}`)).status).toBe(404);
  });

  it("signs in a local user (with the CSRF token), who then sees every build; refuses wrong passwords, missing or wrong tokens", async () => {
    const web = new WebClient(base);
    const form = await web.get("/login");
    const csrf = WebClient.csrfOf(form.text);
    expect(form.headers.getSetCookie().join()).toMatch(/HttpOnly; SameSite=Lax/);
    expect((await web.post("/login", { name: "alice", password: PASSWORD })).status).toBe(403);
    expect((await web.post("/login", { csrf: `${csrf}x`, name: "alice", password: PASSWORD })).status).toBe(403);
    expect((await web.post("/login", { csrf, name: "alice", password: "wrong" })).status).toBe(401);
    // Another browser's (valid) token with this browser's cookie: refused.
    const othersToken = WebClient.csrfOf((await new WebClient(base).get("/login")).text);
    expect(othersToken).not.toBe(csrf);
    expect((await web.post("/login", { csrf: othersToken, name: "alice", password: PASSWORD })).status).toBe(403);

    const done = await web.post("/login", { csrf, name: "alice", password: PASSWORD });
    expect(done.status).toBe(303);
    const list = await web.get("/");
    expect(list.text).toContain("octo/secret-sauce");
    expect(list.text).toContain("intranet-project");
    expect((await web.get(`/builds/${bridge.id}`)).status).toBe(200);
  });

  it("treats a tampered or forged session cookie as no session at all", async () => {
    const web = new WebClient(base);
    await web.signIn("alice", PASSWORD);
    expect((await web.get(`/builds/${bridge.id}`)).status).toBe(200);
    const cookie = web.cookies.get("ponyci_session") as string;
    const flipped = cookie.slice(0, 20) + (cookie[20] === "A" ? "B" : "A") + cookie.slice(21);
    for (const value of [flipped, cookie.slice(0, -2), Buffer.from(JSON.stringify({ viewer: { kind: "local", name: "alice", role: "operator" }, csrf: "x", exp: 9e15 })).toString("base64url")]) {
      const forged = new WebClient(base);
      forged.cookies.set("ponyci_session", value);
      expect((await forged.get(`/builds/${bridge.id}`)).status).toBe(404);
      expect((await forged.get("/")).text).not.toContain("intranet-project");
    }
  });

  it("lets an admin token in through the Authorization header, and nothing else", async () => {
    const web = new WebClient(base);
    expect((await web.get(`/builds/${bridge.id}`, { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await web.get(`/builds/${bridge.id}`, { authorization: `Bearer ${token}x` })).status).toBe(404);
  });

  it("signs in with GitHub: state checked, private GitHub repositories shown only when GitHub says the user can read them", async () => {
    const signIn = async (login: string, canRead: boolean) => {
      const web = new WebClient(base);
      const start = await web.get("/login/github");
      expect(start.status).toBe(302);
      const authorize = new URL(start.headers.get("location") as string);
      expect(authorize.origin + authorize.pathname).toBe("https://github.com/login/oauth/authorize");
      expect(authorize.searchParams.get("client_id")).toBe("Iv1.clientid");
      expect(authorize.searchParams.get("redirect_uri")).toBe("http://ci.example.test/login/github/callback");
      const state = authorize.searchParams.get("state") as string;
      const userToken = `gho_${login}`;
      nock("https://github.com")
        .post("/login/oauth/access_token", (body: Record<string, string>) => body.code === `code-${login}` && body.client_secret === "client-secret" && body.client_id === "Iv1.clientid")
        .reply(200, { access_token: userToken, token_type: "bearer", scope: "" });
      github.intercept("GET", "/user", {}, (request) => ({ status: 200, body: { login, id: 1, path: request.path } }));
      github.intercept("GET", "/repos/{owner}/{repo}", { owner: "octo", repo: "secret-sauce" }, () =>
        canRead ? { status: 200, body: { id: 7, full_name: "octo/secret-sauce", private: true, permissions: { pull: true, push: false, admin: false } } } : { status: 404, body: { message: "Not Found" } },
      );
      const back = await web.get(`/login/github/callback?code=code-${login}&state=${encodeURIComponent(state)}`);
      expect(back.status).toBe(303);
      return web;
    };

    const reader = await signIn("octocat", true);
    const list = await reader.get("/");
    expect(list.text).toContain("octo/secret-sauce");
    // octocat is listed in the users file: the bridge's private repositories too.
    expect(list.text).toContain("intranet-project");
    expect((await reader.get(`/builds/${secretGh.id}`)).status).toBe(200);

    const stranger = await signIn("mallory", false);
    expect((await stranger.get(`/builds/${secretGh.id}`)).status).toBe(404);
    expect((await stranger.get(`/builds/${bridge.id}`)).status).toBe(404);
    const theirs = await stranger.get("/");
    for (const name of privateNames) expect(theirs.text).not.toContain(name);
    github.assertDone();
  });

  it("refuses an OAuth callback whose state is missing, changed or from another browser", async () => {
    const victim = new WebClient(base);
    const attacker = new WebClient(base);
    const start = await attacker.get("/login/github");
    const state = new URL(start.headers.get("location") as string).searchParams.get("state") as string;
    await victim.get("/login/github");
    for (const path of ["/login/github/callback?code=c", `/login/github/callback?code=c&state=${state}x`, `/login/github/callback?code=c&state=${state}`]) {
      const answer = await victim.get(path);
      expect(answer.status).toBe(403);
      expect(answer.text).toContain("OAuth state");
    }
    // No session was made: still a stranger.
    expect((await victim.get(`/builds/${secretGh.id}`)).status).toBe(404);
  });

  it("refuses actions without a CSRF token, with a wrong one, and from users who may not act", async () => {
    const alice = new WebClient(base);
    await alice.signIn("alice", PASSWORD);
    const before = server.ponyci.store.listBuilds({ limit: 100 }).length;
    expect((await alice.post(`/builds/${pub.id}/rerun`, {})).status).toBe(403);
    expect((await alice.post(`/builds/${pub.id}/rerun`, { csrf: "forged" })).status).toBe(403);
    const bob = new WebClient(base);
    await bob.signIn("bob", PASSWORD);
    const page = await bob.get(`/builds/${pub.id}`);
    expect(page.text).not.toContain("Re-run build");
    expect((await bob.post(`/builds/${pub.id}/rerun`, { csrf: WebClient.csrfOf(page.text) })).status).toBe(403);
    const stranger = new WebClient(base);
    const anon = await stranger.get(`/builds/${pub.id}`);
    expect(anon.text).not.toContain("Re-run build");
    expect((await stranger.post(`/builds/${bridge.id}/rerun`, { csrf: "x" })).status).toBe(403);
    expect(server.ponyci.store.listBuilds({ limit: 100 })).toHaveLength(before);
  });

  // Last in the file: it locks bob out for the rest of the window.
  it("stops password guessing: after 10 failures a name is refused (429, Retry-After) even with the right password, other names are not", async () => {
    const web = new WebClient(base);
    const csrf = WebClient.csrfOf((await web.get("/login")).text);
    for (let i = 0; i < 10; i++) expect((await web.post("/login", { csrf, name: "bob", password: `guess-${i}` })).status).toBe(401);
    const locked = await web.post("/login", { csrf, name: "BOB", password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.text).toContain("Too many failed sign-ins");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    // A name that does not exist counts the same (the answer tells nothing of which names exist).
    for (let i = 0; i < 10; i++) expect((await web.post("/login", { csrf, name: "mallory", password: "x" })).status).toBe(401);
    expect((await web.post("/login", { csrf, name: "mallory", password: "x" })).status).toBe(429);
    // alice is untouched, and her earlier failures were forgotten when she signed in.
    expect((await web.post("/login", { csrf, name: "alice", password: PASSWORD })).status).toBe(303);
  });
});

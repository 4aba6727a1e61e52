/**
 * Issue 23: sign-in limits nobody can turn into a lock-out, the same work
 * for unknown names, and sessions that follow the users file and /logout.
 * The dashboard handler over real HTTP, a real users file and the store.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import http from "node:http";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { silentLogger } from "../../src/domain/logger.js";
import { systemClock } from "../../src/domain/clock.js";
import { createDashboardHandler } from "../../src/web/create-dashboard-handler.js";
import { createLiveHub } from "../../src/web/create-live-hub.js";
import { createAccessPolicy } from "../../src/web/create-access-policy.js";
import { createSessionCodec } from "../../src/web/session-codec.js";
import { createLiveWebUsers } from "../../src/web/create-live-web-users.js";
import { createSessionRevocations } from "../../src/web/create-session-revocations.js";
import { checkPassword, parseWebUsers } from "../../src/web/web-users.js";
import { PASSWORD, recordFinishedBuild, writeUsersFile } from "./dashboard-fixtures.js";
import { WebClient } from "./web-client.js";

describe("dashboard sign-in and sessions", () => {
  let store: Store;
  let server: http.Server;
  let base: string;
  let usersFile: string;
  let original: string;
  let buildId: number;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ponyci-sessions-"));
    store = openStore({ dataDir: dir, log: silentLogger });
    buildId = recordFinishedBuild(store, { repo: "o/app", source: "github", visibility: "public", cloneUrl: "https://github.com/o/app.git" }).id;
    usersFile = writeUsersFile().file;
    original = readFileSync(usersFile, "utf8");
    const live = createLiveWebUsers(usersFile, silentLogger);
    const handler = createDashboardHandler({
      store,
      builds: { submit: () => undefined, cancelJobs: async () => undefined },
      hub: createLiveHub({ logLimitBytes: 1024 }),
      access: createAccessPolicy({ users: live.users, clock: systemClock }),
      users: live.users,
      refreshUsers: live.refresh,
      revocations: createSessionRevocations({ file: path.join(dir, "web", "revoked-sessions.json") }),
      sessions: createSessionCodec("s".repeat(40)),
      publicUrl: "http://ci.invalid",
      secureCookies: false,
      now: () => Date.now(),
      log: silentLogger,
    });
    server = http.createServer((req, res) => void handler(req, res).then((handled) => handled || res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    store.close();
  });

  const whoIs = async (client: WebClient) => /class="who">([^<]*)</.exec((await client.get("/")).text)?.[1];
  const tryPassword = async (client: WebClient, name: string, password: string) => {
    const form = await client.get("/login");
    return (await client.post("/login", { csrf: WebClient.csrfOf(form.text), name, password })).status;
  };

  it("200 failed sign-ins under made-up names, then 20 at alice's, leave alice and bob able to sign in", async () => {
    const alice = new WebClient(base);
    await alice.signIn("alice", PASSWORD); // this browser is alice's from now on (device cookie)
    const attacker = new WebClient(base);
    const statuses: number[] = [];
    const csrf = WebClient.csrfOf((await attacker.get("/login")).text);
    // Ten at a time: each costs an scrypt (on libuv's threads), as a real user's would.
    for (let i = 0; i < 200; i += 10) {
      const batch = Array.from({ length: 10 }, (_, j) => attacker.post("/login", { csrf, name: `nobody-${i + j}`, password: "guess" }).then((r) => r.status));
      statuses.push(...(await Promise.all(batch)));
    }
    expect(new Set(statuses)).toEqual(new Set([401]));
    // Guessing alice's password is stopped, for the guesser…
    const atAlice: number[] = [];
    for (let i = 0; i < 20; i++) atAlice.push(await tryPassword(attacker, "alice", `guess-${i}`));
    expect(atAlice.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(atAlice.slice(10)).toEqual(Array(10).fill(429));
    // …not for alice, in the browser she signed in with before.
    expect(await tryPassword(alice, "alice", PASSWORD)).toBe(303);
    expect(await whoIs(alice)).toBe("alice");
    // A real user whose name nobody guessed signs in from anywhere, the attacker's address included.
    expect(await tryPassword(new WebClient(base), "bob", PASSWORD)).toBe(303);
  });

  it("checks a password for an unknown name as it does for a known one (the same scrypt)", async () => {
    const users = parseWebUsers(original);
    const time = async (name: string) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 5; i++) await checkPassword(users, name, "wrong password");
      return Number(process.hrtime.bigint() - start);
    };
    await time("alice");
    const known = await time("alice");
    const unknown = await time("no-such-user");
    // Generous: the point is that both hash (a skipped scrypt is 1000 × faster), not their exact ratio.
    expect(unknown).toBeGreaterThan(known / 5);
  });

  it("a removed user's cookie stops working at once, a demoted operator cannot act, and a changed password ends sessions", async () => {
    const alice = new WebClient(base);
    await alice.signIn("alice", PASSWORD);
    expect(await whoIs(alice)).toBe("alice");
    // Demoted to viewer: still signed in, no longer allowed to re-run.
    writeFileSync(usersFile, original.replace("    role: operator\n  - name: bob", "    role: viewer\n  - name: bob"));
    const page = await alice.get(`/builds/${buildId}`);
    const rerun = await alice.post(`/builds/${buildId}/rerun`, { csrf: WebClient.csrfOf(page.text) });
    expect(rerun.status).toBe(403);
    // Removed: anonymous at the next request.
    writeFileSync(usersFile, original.replace(/ {2}- name: alice\n[^\n]*\n[^\n]*\n/, ""));
    expect(await whoIs(alice)).toBeUndefined();
    writeFileSync(usersFile, original);
    // Back in the file, the old cookie works again only because nothing about alice changed; a new password ends it.
    const again = new WebClient(base);
    await again.signIn("alice", PASSWORD);
    expect(await whoIs(again)).toBe("alice");
    writeFileSync(usersFile, original.replace(/(name: alice\n {4}password: "scrypt:)[^:]+/, "$1c2FsdC10d28="));
    expect(await whoIs(again)).toBeUndefined();
    writeFileSync(usersFile, original);
  });

  it("/logout revokes the session: a copy of the cookie opens nothing either", async () => {
    const alice = new WebClient(base);
    await alice.signIn("alice", PASSWORD);
    const thief = new WebClient(base);
    for (const [name, value] of alice.cookies) thief.cookies.set(name, value);
    expect(await whoIs(thief)).toBe("alice");
    const page = await alice.get("/");
    expect((await alice.post("/logout", { csrf: WebClient.csrfOf(page.text) })).status).toBe(303);
    expect(await whoIs(alice)).toBeUndefined();
    expect(await whoIs(thief)).toBeUndefined();
  });
});

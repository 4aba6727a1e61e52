/**
 * Day two (issue 27): SIGHUP reads the users file and the private
 * repositories file again, without a restart: a new admin token and a new
 * private repository work at once, the cell running meanwhile is not
 * touched (no re-queue), and a bad file changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fakeGitHub, postLocal, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { createSteeredRunner } from "../support/steered-runner.js";
import { signBridgePayload } from "../../src/bridge/sign-bridge-payload.js";
import { BRIDGE_SIGNATURE_HEADER, BRIDGE_TIMESTAMP_HEADER } from "../../src/bridge/bridge-protocol.js";
import { reloadOnHangup } from "../../src/cli/serve-command.js";
import type { RunningServer } from "../../src/server/start-server.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const tokens = (...names: string[]) => `tokens:\n${names.map((name) => `  - name: ${name}\n    sha256: ${sha256(`token-${name}`)}\n    role: viewer\n`).join("")}`;

describe("SIGHUP", () => {
  let dir: string;
  let usersFile: string;
  let reposFile: string;
  let server: RunningServer;
  let repo: Awaited<ReturnType<typeof createFixtureRepo>>;
  let stopReloading: () => void;
  const steered = createSteeredRunner();
  const restarted: string[] = [];
  const logged: string[] = [];
  const secret = "sighup-reload-secret";
  const repos = (...names: string[]) => `repositories:\n${names.map((name) => `  - name: ${name}\n    url: ${repo.dir}\n    secret: ${secret}\n`).join("")}`;
  let pushes = 0;
  const push = async (name: string) => {
    // A branch per push: the same body signed in the same second would be a replay.
    const body = `${"0".repeat(40)} ${repo.sha} refs/heads/${++pushes === 1 ? "main" : `topic-${pushes}`}\n`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    return postLocal(server.port, `/bridge/${name}/post-receive`, body, { [BRIDGE_TIMESTAMP_HEADER]: timestamp, [BRIDGE_SIGNATURE_HEADER]: signBridgePayload(secret, timestamp, body) });
  };
  const page = async (buildId: number, token: string) => (await fetch(`http://127.0.0.1:${server.port}/builds/${buildId}`, { headers: { authorization: `Bearer token-${token}` } })).status;
  const hangUp = async (expected: RegExp) => {
    const before = logged.length;
    // Jest's sandbox gives tests a process object of their own: the handler is on it, so the signal is emitted there
    // (test/server/sighup-process.test.ts sends a real one to a real `ponyci serve`).
    process.emit("SIGHUP", "SIGHUP");
    await waitFor(() => logged.slice(before).find((line) => expected.test(line)), 10_000, `the log to say ${expected}`);
  };

  beforeAll(async () => {
    fakeGitHub();
    repo = await createFixtureRepo("django-pass");
    dir = mkdtempSync(path.join(tmpdir(), "ponyci-sighup-"));
    usersFile = path.join(dir, "users.yml");
    reposFile = path.join(dir, "private-repos.yml");
    writeFileSync(usersFile, tokens("alice"));
    writeFileSync(reposFile, repos("first"));
    server = await startTestServer({
      runner: steered.runner,
      settings: testServerSettings({ PONYCI_WEB_USERS: usersFile, PONYCI_PRIVATE_REPOS: reposFile, PONYCI_CONCURRENCY: "1" }),
      extraListeners: () => [{ restarted: (_build, job) => void restarted.push(job.id) }],
    });
    stopReloading = reloadOnHangup(server, { info: (_o: unknown, m?: string) => void logged.push(`info ${m}`), error: (_o: unknown, m?: string) => void logged.push(`error ${m}`) } as never);
  });
  afterAll(async () => {
    stopReloading?.();
    for (const cell of steered.running()) cell.finish();
    await server?.stop({ graceMs: 500 });
    rmSync(dir, { recursive: true, force: true });
  });

  it("picks up a new admin token and a new private repository, and re-queues nothing", async () => {
    expect((await push("first")).status).toBe(202);
    const [build] = server.ponyci.store.listBuilds({ repo: "first" });
    const buildId = build?.id ?? 0;
    const cell = await waitFor(() => steered.running()[0], 60_000, "a cell running");
    expect(await page(buildId, "alice")).toBe(200);
    expect(await page(buildId, "bob")).toBe(404);
    expect((await push("second")).status).toBe(401);

    writeFileSync(usersFile, tokens("alice", "bob"));
    writeFileSync(reposFile, repos("first", "second"));
    await hangUp(/SIGHUP: reloaded 2 users and tokens, 2 private repositories/);

    expect(await page(buildId, "bob")).toBe(200);
    expect((await push("second")).status).toBe(202);
    // The running cell went on: same attempt, never restarted, still running here.
    expect(restarted).toEqual([]);
    expect(server.ponyci.store.getJob(cell.jobId)).toMatchObject({ state: "running", attempts: 1 });
    expect(steered.running().map((c) => c.jobId)).toContain(cell.jobId);

    // A bad users file: reported, and nothing changes.
    writeFileSync(usersFile, "users: not-a-list\n");
    await hangUp(/SIGHUP: a file is invalid; nothing was changed/);
    expect(await page(buildId, "bob")).toBe(200);
    expect(server.ponyci.store.getJob(cell.jobId)).toMatchObject({ state: "running", attempts: 1 });
  }, 120_000);
});

import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { sign } from "@octokit/webhooks-methods";
import { loadSettings, type Settings } from "../../src/settings/load-settings.js";
import { silentLogger } from "../../src/log/logger.js";
import { startServer, type RunningServer, type StartServerOptions } from "../../src/server/start-server.js";
import { nockGitHub, type GitHubApiFake } from "./github-api-fake.js";
import { TEST_DATA_DIR, TEST_LIMITS } from "./test-runner.js";
import { createTestRunner } from "./test-runner.js";

export const APP_ID = 4242;
export const INSTALLATION_ID = 77;
export const WEBHOOK_SECRET = "pony-test-secret";

let privateKey: string | undefined;
/** A real RSA key: Probot signs app JWTs with it (GitHub is faked, the crypto is not). */
export function testPrivateKey(): string {
  privateKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return privateKey;
}

/** GitHub faked, every other host (127.0.0.1, Docker's socket) real. */
export function fakeGitHub(): GitHubApiFake {
  // A previous test file in this worker may have restored http (test/support/restore-nock.ts).
  if (!nock.isActive()) nock.activate();
  nock.disableNetConnect();
  nock.enableNetConnect((host) => !host.includes("github.com"));
  return nockGitHub();
}

/** Settings of a test server: port 0, its own data dir (mirrors and environments shared). */
export function testServerSettings(overrides: Record<string, string> = {}): Settings & { github: NonNullable<Settings["github"]> } {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ponyci-server-"));
  const settings = loadSettings(
    {
      APP_ID: String(APP_ID),
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET,
      HOST: "127.0.0.1",
      PORT: "0",
      PONYCI_DATA_DIR: dataDir,
      PONYCI_CONCURRENCY: "2",
      PONYCI_PUBLIC_URL: "http://ci.example.test",
      LOG_LEVEL: "silent",
      ...overrides,
    },
    "serve",
  );
  return { ...settings, cell: { ...TEST_LIMITS, timeoutSec: settings.cell.timeoutSec }, github: settings.github as NonNullable<Settings["github"]> };
}

export async function startTestServer(options: Partial<StartServerOptions> & { settings?: StartServerOptions["settings"] } = {}): Promise<RunningServer> {
  const settings = options.settings ?? testServerSettings();
  return startServer({
    log: silentLogger,
    runner: createTestRunner(),
    outboxBackoff: () => 50,
    ...options,
    settings,
  });
}

/** POST a webhook to the running server, signed like GitHub does (or with `signature`). */
export async function postWebhook(port: number, event: string, payload: unknown, options: { secret?: string; signature?: string; delivery?: string } = {}): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(payload);
  const signature = options.signature ?? (await sign(options.secret ?? WEBHOOK_SECRET, body));
  return postLocal(port, "/api/github/webhooks", body, {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": options.delivery ?? randomUUID(),
    "x-hub-signature-256": signature,
  });
}

/** POST to the local server without keep-alive (no socket outlives the test). */
export function postLocal(port: number, urlPath: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path: urlPath, method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** A push webhook payload for a local repository standing in for a GitHub one. */
export function pushPayload(repo: { dir: string; sha: string }, options: { fullName?: string; branch?: string; before?: string } = {}) {
  const fullName = options.fullName ?? "pony/app";
  return {
    ref: `refs/heads/${options.branch ?? "main"}`,
    before: options.before ?? "0".repeat(40),
    after: repo.sha,
    created: false,
    deleted: false,
    forced: false,
    commits: [],
    repository: { id: 1, full_name: fullName, name: fullName.split("/")[1], clone_url: repo.dir, private: false, default_branch: "main", owner: { login: fullName.split("/")[0] } },
    installation: { id: INSTALLATION_ID },
    sender: { login: "octocat", id: 1 },
  };
}

/** Answers the contents API: the given files, 404 for every other path. */
export function serveContents(github: GitHubApiFake, owner: string, repo: string, files: Record<string, string>, times = 20): void {
  github.intercept("GET", "/repos/{owner}/{repo}/contents/{path}", { owner, repo }, (request) => {
    const file = decodeURIComponent(request.path.split("/contents/")[1]?.split("?")[0] ?? "");
    return file in files ? { status: 200, body: files[file], headers: { "content-type": "text/plain" } } : { status: 404, body: { message: "Not Found" } };
  }, { times });
}

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
export async function waitFor<T>(check: () => T | undefined, ms = 120_000, what = "condition"): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export { TEST_DATA_DIR };

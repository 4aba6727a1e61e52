import { afterEach, describe, expect, it } from "@jest/globals";
import { execa, type ResultPromise } from "execa";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parseEnv } from "node:util";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { findFreePort } from "../../src/server/find-free-port.js";
import { loadSettings } from "../../src/settings/load-settings.js";
import { postWebhook, testPrivateKey } from "../support/signed-webhooks.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/src/cli/ponyci.js");

/** GET on the child's port, retried while it is still starting. */
async function get(url: string, until: number): Promise<Response> {
  for (;;) {
    try {
      return await fetch(url, { redirect: "manual" });
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * GitHub Enterprise Server's answer to the manifest flow's one API call,
 * `POST /api/v3/app-manifests/{code}/conversions` (no request body): the new
 * app's id, key and secret, as GitHub's schema describes the response.
 */
async function startFakeGhe(code: string) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === "POST" && req.url === `/api/v3/app-manifests/${code}/conversions`) {
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: 777, slug: "pony-ci", node_id: "A_1", name: "Pony CI", html_url: "http://ghe.example.test/apps/pony-ci", client_id: "Iv1.abc", client_secret: "client-secret", webhook_secret: "secret-from-github", pem: testPrivateKey(), owner: null, description: "", external_url: "https://ci.example.test", created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", permissions: {}, events: [] }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("ponyci serve without APP_ID", () => {
  let child: ResultPromise | undefined;
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    child?.kill("SIGTERM");
    await child?.catch(() => undefined);
    child = undefined;
    for (const close of closers.splice(0)) await close();
  });

  it("answers Probot's set-up page with the manifest from app.yml instead of exiting", async () => {
    // A fresh working directory, as after `npm install -g ponyci`: no .env, no app.yml.
    const cwd = mkdtempSync(path.join(tmpdir(), "ponyci-setup-"));
    const port = await findFreePort("127.0.0.1");
    child = execa("node", [CLI, "serve"], {
      cwd,
      reject: false,
      // NO_SMEE_SETUP: Probot's set-up would otherwise create a smee.io channel (network).
      // GH_ORG: registered under the organisation, which can then install it (a user's private app cannot be).
      env: { HOME: cwd, HOST: "127.0.0.1", PORT: String(port), PONYCI_DATA_DIR: path.join(cwd, "data"), PONYCI_PUBLIC_URL: "https://ci.example.test", NO_SMEE_SETUP: "true", NODE_ENV: "", APP_ID: "", GH_ORG: "pony-org" },
      extendEnv: false,
    });
    const until = Date.now() + 60_000;
    const root = await get(`http://127.0.0.1:${port}/`, until);
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/probot");

    const page = await get(`http://127.0.0.1:${port}/probot`, until);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Register GitHub App");
    expect(html).toContain('action="https://github.com/organizations/pony-org/settings/apps/new"');
    // The manifest posted to GitHub: app.yml's name, events and permissions, and this server's webhook URL.
    const field = /name="manifest"[^>]*value='([^']*)'/.exec(html);
    expect(field).not.toBeNull();
    const manifest = JSON.parse(field?.[1] ?? "") as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: "Pony CI",
      default_events: ["push", "pull_request", "check_run", "check_suite", "merge_group"],
      default_permissions: { checks: "write", contents: "read", metadata: "read", pull_requests: "read", merge_queues: "read" },
      hook_attributes: { url: "https://ci.example.test/api/github/webhooks" },
      callback_urls: ["https://ci.example.test/login/github/callback"],
      redirect_url: `http://127.0.0.1:${port}/probot/setup`,
    });

    // Probot reads the manifest from the working directory; serve wrote it there from the packaged app.yml.
    const written = path.join(cwd, "app.yml");
    expect(existsSync(written)).toBe(true);
    expect(parse(readFileSync(written, "utf8"))).toMatchObject({ name: "Pony CI", hook_attributes: { url: "https://ci.example.test/api/github/webhooks" } });
    expect(child.exitCode).toBeNull();
  });

  it("registers the app on GitHub Enterprise Server (GHE_HOST), writes .env, and after a restart serves webhooks signed with the new secret", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "ponyci-setup-ghe-"));
    const ghe = await startFakeGhe("code-123");
    closers.push(ghe.close);
    const port = await findFreePort("127.0.0.1");
    const env = { HOME: cwd, HOST: "127.0.0.1", PORT: String(port), PONYCI_DATA_DIR: path.join(cwd, "data"), PONYCI_PUBLIC_URL: "https://ci.example.test", NO_SMEE_SETUP: "true", GHE_HOST: ghe.host, GHE_PROTOCOL: "http", PONYCI_CONCURRENCY: "1", LOG_LEVEL: "warn" };
    // No cell runs here: keep the restarted server off this host's Docker (it only warns that it cannot reap).
    Object.assign(env, { DOCKER_HOST: `unix://${path.join(cwd, "no-docker.sock")}` });
    child = execa("node", [CLI, "serve"], { cwd, reject: false, env, extendEnv: false });
    const until = Date.now() + 60_000;
    const page = await get(`http://127.0.0.1:${port}/probot`, until);
    // The "Register GitHub App" form posts to the Enterprise server, not github.com.
    expect(await page.text()).toContain(`action="http://${ghe.host}/settings/apps/new"`);

    // GitHub redirects the browser back with a code; Probot exchanges it and writes .env.
    const back = await fetch(`http://127.0.0.1:${port}/probot/setup?code=code-123`, { redirect: "manual" });
    expect(back.status).toBe(302);
    expect(back.headers.get("location")).toBe("http://ghe.example.test/apps/pony-ci/installations/new");
    expect(ghe.requests).toEqual(["POST /api/v3/app-manifests/code-123/conversions"]);
    const written = parseEnv(readFileSync(path.join(cwd, ".env"), "utf8"));
    expect(written).toMatchObject({ APP_ID: "777", WEBHOOK_SECRET: "secret-from-github" });
    // What loadSettings makes of the written file (plus the environment): a complete GitHub App on the Enterprise API.
    expect(loadSettings({ ...env, ...written }, "serve").github).toMatchObject({ appId: 777, privateKey: testPrivateKey(), webhookSecret: "secret-from-github", apiUrl: `http://${ghe.host}/api/v3` });

    // Restart: the same directory's .env turns set-up mode into the app.
    child.kill("SIGTERM");
    await child.catch(() => undefined);
    child = execa("node", [CLI, "serve"], { cwd, reject: false, env, extendEnv: false });
    await get(`http://127.0.0.1:${port}/ping`, until);
    const refused = await postWebhook(port, "ping", { zen: "Keep it logically awesome.", hook_id: 1 }, { secret: "not-the-secret" });
    expect(refused.status).toBe(400);
    const accepted = await postWebhook(port, "ping", { zen: "Keep it logically awesome.", hook_id: 1 }, { secret: "secret-from-github" });
    expect(accepted.status).toBe(200);
    expect(child.exitCode).toBeNull();
  });
});

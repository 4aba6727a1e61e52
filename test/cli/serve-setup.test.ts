import { afterEach, describe, expect, it } from "@jest/globals";
import { execa, type ResultPromise } from "execa";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { findFreePort } from "../../src/server/find-free-port.js";

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

describe("ponyci serve without APP_ID", () => {
  let child: ResultPromise | undefined;
  afterEach(async () => {
    child?.kill("SIGTERM");
    await child?.catch(() => undefined);
    child = undefined;
  });

  it("answers Probot's set-up page with the manifest from app.yml instead of exiting", async () => {
    // A fresh working directory, as after `npm install -g ponyci`: no .env, no app.yml.
    const cwd = mkdtempSync(path.join(tmpdir(), "ponyci-setup-"));
    const port = await findFreePort("127.0.0.1");
    child = execa("node", [CLI, "serve"], {
      cwd,
      reject: false,
      // NO_SMEE_SETUP: Probot's set-up would otherwise create a smee.io channel (network).
      env: { HOME: cwd, HOST: "127.0.0.1", PORT: String(port), PONYCI_DATA_DIR: path.join(cwd, "data"), PONYCI_PUBLIC_URL: "https://ci.example.test", NO_SMEE_SETUP: "true", NODE_ENV: "", APP_ID: "" },
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
    // The manifest posted to GitHub: app.yml's name, events and permissions, and this server's webhook URL.
    const field = /name="manifest"[^>]*value='([^']*)'/.exec(html);
    expect(field).not.toBeNull();
    const manifest = JSON.parse(field?.[1] ?? "") as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: "Pony CI",
      default_events: ["push", "pull_request", "check_run", "check_suite"],
      default_permissions: { checks: "write", contents: "read", metadata: "read", pull_requests: "read" },
      hook_attributes: { url: "https://ci.example.test/api/github/webhooks" },
      redirect_url: `http://127.0.0.1:${port}/probot/setup`,
    });

    // Probot reads the manifest from the working directory; serve wrote it there from the packaged app.yml.
    const written = path.join(cwd, "app.yml");
    expect(existsSync(written)).toBe(true);
    expect(parse(readFileSync(written, "utf8"))).toMatchObject({ name: "Pony CI", hook_attributes: { url: "https://ci.example.test/api/github/webhooks" } });
    expect(child.exitCode).toBeNull();
  });
});

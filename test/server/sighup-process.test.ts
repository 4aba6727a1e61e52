/**
 * A real SIGHUP to a real `ponyci serve` (the compiled dist/: `npm run
 * build` first): the process keeps running (Node's default for SIGHUP is to
 * exit) and reads the users file again. What a reload changes and does not
 * change is in sighup-reload.test.ts.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnPonyCi, waitForPing, type PonyCiProcess } from "../recovery/support/ponyci-process.js";
import { APP_ID, WEBHOOK_SECRET, testPrivateKey } from "../support/signed-webhooks.js";

const token = (name: string) => `  - name: ${name}\n    sha256: ${createHash("sha256").update(`token-${name}`).digest("hex")}\n`;

describe("ponyci serve on SIGHUP", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ponyci-sighup-process-"));
  let server: PonyCiProcess | undefined;
  afterAll(async () => {
    server?.kill("SIGTERM");
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("reloads the users file and keeps serving", async () => {
    const usersFile = path.join(dir, "users.yml");
    writeFileSync(usersFile, `tokens:\n${token("alice")}`);
    server = await spawnPonyCi({
      dataDir: path.join(dir, "data"),
      githubUrl: "http://127.0.0.1:9",
      appId: APP_ID,
      privateKey: testPrivateKey(),
      webhookSecret: WEBHOOK_SECRET,
      env: { PONYCI_WEB_USERS: usersFile, LOG_LEVEL: "info", LOG_FORMAT: "json", PONYCI_SESSION_SECRET: "s".repeat(32) },
    });
    await waitForPing(server);
    writeFileSync(usersFile, `tokens:\n${token("alice")}${token("bob")}`);
    server.kill("SIGHUP");
    const deadline = Date.now() + 20_000;
    while (!server.output().includes("SIGHUP: reloaded 2 users and tokens") && Date.now() < deadline && server.running()) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.output()).toContain("SIGHUP: reloaded 2 users and tokens, 0 private repositories");
    expect(server.running()).toBe(true);
    await waitForPing(server, 5_000);
  }, 60_000);
});

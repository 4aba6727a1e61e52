import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/src/cli/ponyci.js");

/**
 * `.env` is the operator's file for `ponyci serve` (Probot's convention).
 * `ponyci run` is started inside checkouts, whose `.env` is the repository's:
 * it must not read it. A .env whose every line would break the settings
 * shows which commands read it.
 */
describe(".env", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ponyci-dotenv-"));
    writeFileSync(path.join(dir, ".env"), "PONYCI_CELL_TIMEOUT=not-a-number\nPONYCI_PYTHON=/tmp/evil-python\nDOCKER_HOST=tcp://198.51.100.1:2375\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const env = () => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir });

  it("ponyci run in a checkout with a hostile .env reads nothing from it", async () => {
    const result = await execa("node", [CLI, "run", "--help"], { cwd: dir, reject: false, extendEnv: false, env: env() });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Usage: ponyci run \[PATH \| GIT-URL\]/m);
  });

  it("ponyci runner does read it (a daemon like serve)", async () => {
    const runnerDir = mkdtempSync(path.join(tmpdir(), "ponyci-dotenv-runner-"));
    try {
      writeFileSync(path.join(runnerDir, ".env"), "PONYCI_REDIS_URL=redis://127.0.0.1:1\nPONYCI_REDIS_SIGNING_KEY=dotenv-test-signing-key-0123456789abcdef\nPONYCI_RUNNER_PORT=not-a-port\n");
      const result = await execa("node", [CLI, "runner"], { cwd: runnerDir, reject: false, extendEnv: false, env: env(), timeout: 30_000 });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/PONYCI_RUNNER_PORT="not-a-port"/);
    } finally {
      rmSync(runnerDir, { recursive: true, force: true });
    }
  });

  it("ponyci serve does read it", async () => {
    const serveDir = mkdtempSync(path.join(tmpdir(), "ponyci-dotenv-serve-"));
    try {
      writeFileSync(path.join(serveDir, ".env"), "APP_ID=not-a-number\n");
      const result = await execa("node", [CLI, "serve"], { cwd: serveDir, reject: false, extendEnv: false, env: env(), timeout: 30_000 });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/APP_ID="not-a-number"/);
    } finally {
      rmSync(serveDir, { recursive: true, force: true });
    }
  });
});

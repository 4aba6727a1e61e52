import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadSettings } from "../../src/settings/load-settings.js";
import { SettingsError } from "../../src/settings/settings-error.js";

const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n";
const github = { APP_ID: "123", PRIVATE_KEY: PEM, WEBHOOK_SECRET: "s3cret" };

function errorOf(fn: () => unknown): SettingsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error("expected a SettingsError");
}

describe("loadSettings", () => {
  it("gives documented defaults for the CLI with an empty environment", () => {
    const settings = loadSettings({ PONYCI_DATA_DIR: "/tmp/pony" }, "run");
    expect(settings).toMatchObject({
      github: undefined,
      host: "localhost",
      port: 3000,
      logLevel: "info",
      dataDir: "/tmp/pony",
      baseImage: "auto",
      services: { image: "auto", memoryBytes: 1024 ** 3 },
      maxCells: 24,
      queue: { kind: "embedded" },
      cell: { memoryBytes: 2 * 1024 ** 3, nanoCpus: 1e9, pidsLimit: 512, timeoutSec: 1200, logLimitBytes: 5 * 1024 ** 2, testWorkers: 1 },
    });
    expect(settings.concurrency).toBeGreaterThanOrEqual(1);
  });

  it("treats empty values (a copied .env.example) as unset", () => {
    const settings = loadSettings({ PORT: "", PONYCI_CELL_MEMORY: "", PONYCI_REDIS_URL: "" }, "run");
    expect(settings.port).toBe(3000);
    expect(settings.cell.memoryBytes).toBe(2 * 1024 ** 3);
  });

  it.each([
    ["PONYCI_CELL_MEMORY", "512m", (s: ReturnType<typeof loadSettings>) => s.cell.memoryBytes, 512 * 1024 ** 2],
    ["PONYCI_CELL_MEMORY", "1.5g", (s: ReturnType<typeof loadSettings>) => s.cell.memoryBytes, 1.5 * 1024 ** 3],
    ["PONYCI_CELL_CPUS", "0.5", (s: ReturnType<typeof loadSettings>) => s.cell.nanoCpus, 5e8],
    ["PONYCI_CONCURRENCY", "7", (s: ReturnType<typeof loadSettings>) => s.concurrency, 7],
    ["PORT", "8080", (s: ReturnType<typeof loadSettings>) => s.port, 8080],
    ["PONYCI_PUBLIC_URL", "https://ci.example.com/", (s: ReturnType<typeof loadSettings>) => s.publicUrl, "https://ci.example.com"],
  ])("reads %s=%s", (name, value, pick, expected) => {
    expect(pick(loadSettings({ [name]: value }, "run"))).toEqual(expected);
  });

  it("reads the GitHub App credentials when serving", () => {
    const settings = loadSettings({ ...github, WEBHOOK_PROXY_URL: "https://smee.io/abc" }, "serve");
    expect(settings.github).toEqual({ appId: 123, privateKey: PEM, webhookSecret: "s3cret", webhookProxyUrl: "https://smee.io/abc" });
  });

  it("reads the private key from PRIVATE_KEY_PATH, and base64-encoded keys", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ponyci-settings-"));
    const keyFile = path.join(dir, "app.pem");
    writeFileSync(keyFile, PEM);
    expect(loadSettings({ APP_ID: "1", PRIVATE_KEY_PATH: keyFile, WEBHOOK_SECRET: "x" }, "serve").github?.privateKey).toBe(PEM);
    expect(loadSettings({ ...github, PRIVATE_KEY: Buffer.from(PEM).toString("base64") }, "serve").github?.privateKey).toBe(PEM);
  });

  it("serves Probot's set-up page instead of refusing when APP_ID is not set (the manifest flow)", () => {
    const settings = loadSettings({ PRIVATE_KEY: PEM, WEBHOOK_SECRET: "x", WEBHOOK_PROXY_URL: "https://smee.io/abc" }, "serve");
    expect(settings.github).toBeUndefined();
    expect(settings.setup).toEqual({ webhookProxyUrl: "https://smee.io/abc" });
    expect(loadSettings({ ...github }, "serve").setup).toBeUndefined();
    expect(loadSettings({}, "run").setup).toBeUndefined();
  });

  it.each([
    [{ GHE_HOST: "github.example.com" }, "https://github.example.com/api/v3"],
    [{ GHE_HOST: "ghe.internal:8443", GHE_PROTOCOL: "http" }, "http://ghe.internal:8443/api/v3"],
    [{ PONYCI_GITHUB_API_URL: "http://127.0.0.1:9999/" }, "http://127.0.0.1:9999"],
    [{ GHE_HOST: "github.example.com", PONYCI_GITHUB_API_URL: "http://127.0.0.1:9999" }, "https://github.example.com/api/v3"],
    [{}, undefined],
  ])("talks to GitHub Enterprise Server by Probot's GHE_HOST/GHE_PROTOCOL (PONYCI_GITHUB_API_URL an alias): %j", (env, apiUrl) => {
    expect(loadSettings({ ...github, ...env }, "serve").github?.apiUrl).toBe(apiUrl);
  });

  it.each([
    [{}, "pretty"],
    [{ NODE_ENV: "production" }, "json"],
    [{ LOG_FORMAT: "json" }, "json"],
    [{ NODE_ENV: "production", LOG_FORMAT: "pretty" }, "pretty"],
  ])("logs the server in Probot's LOG_FORMAT: %j", (env, format) => {
    expect(loadSettings(env, "run").logFormat).toBe(format);
  });

  it("reads the shutdown grace and DOCKER_HOST", () => {
    expect(loadSettings({}, "run")).toMatchObject({ shutdownGraceMs: 30_000 });
    expect(loadSettings({ PONYCI_SHUTDOWN_GRACE: "5" }, "run")).toMatchObject({ shutdownGraceMs: 5000 });
  });

  it.each([
    [{ APP_ID: "1", WEBHOOK_SECRET: "x" }, "PRIVATE_KEY", /PRIVATE_KEY_PATH/],
    [{ APP_ID: "1", PRIVATE_KEY: PEM }, "WEBHOOK_SECRET", /WEBHOOK_SECRET is not set/],
    [{ ...github, PRIVATE_KEY_PATH: "/nonexistent/key.pem", PRIVATE_KEY: "" }, "PRIVATE_KEY_PATH", /cannot be read/],
  ])("refuses to serve without %j (missing %s)", (env, variable, message) => {
    const error = errorOf(() => loadSettings(env, "serve"));
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });

  it.each([
    ["APP_ID", "twelve", /not a whole number/],
    ["PRIVATE_KEY", "not a key", /not a PEM private key/],
    ["PORT", "70000", /out of range/],
    ["PORT", "80a", /not a whole number/],
    ["PONYCI_CELL_MEMORY", "lots", /not a size/],
    ["PONYCI_CELL_CPUS", "-1", /not a number/],
    ["LOG_LEVEL", "verbose", /not one of trace, debug/],
    ["PONYCI_REDIS_URL", "http://127.0.0.1:6379", /is not a Redis URL/],
    ["PONYCI_LOCAL_RUNNER", "maybe", /is not on or off/],
    ["PONYCI_RUNNER_LABELS", "gpu,$(reboot)", /is not allowed/],
    ["PONYCI_RUNNER_PYTHONS", "3.11,latest", /is not allowed/],
    ["PONYCI_PUBLIC_URL", "ci dot example", /not a URL/],
    ["PONYCI_CONCURRENCY", "0", /out of range/],
    ["GHE_HOST", "https://github.example.com", /not a host name/],
    ["GHE_PROTOCOL", "ftp", /not one of https, http/],
    ["LOG_FORMAT", "xml", /not one of pretty, json/],
    ["PONYCI_SHUTDOWN_GRACE", "soon", /not a whole number/],
  ])("refuses malformed %s=%s with a message that says how to fix it", (name, value, message) => {
    const error = errorOf(() => loadSettings({ ...github, [name]: value }, "serve"));
    expect(error.variable).toBe(name);
    expect(error.message).toMatch(message);
  });

  it("reads GH_ORG for the set-up page (Probot's manifest flow), and refuses what is not an organisation's login", () => {
    expect(loadSettings({ GH_ORG: "pony-org" }, "serve").setup).toEqual({ org: "pony-org" });
    expect(loadSettings({}, "serve").setup).toEqual({});
    const error = errorOf(() => loadSettings({ GH_ORG: "https://github.com/pony-org" }, "serve"));
    expect(error.variable).toBe("GH_ORG");
    expect(error.message).toMatch(/not an organisation's login.*GH_ORG=pony-org/);
    expect(errorOf(() => loadSettings({ GH_ORG: "pony--org-" }, "serve")).variable).toBe("GH_ORG");
  });

  const KEY = "0123456789abcdef0123456789abcdef";
  it("uses BullMQ when PONYCI_REDIS_URL (or its alias REDIS_URL) is set, the embedded queue otherwise", () => {
    expect(loadSettings({}).queue).toEqual({ kind: "embedded" });
    expect(loadSettings({ PONYCI_REDIS_URL: "redis://127.0.0.1:6379", PONYCI_REDIS_SIGNING_KEY: KEY }).queue).toEqual({ kind: "redis", url: "redis://127.0.0.1:6379", prefix: "ponyci" });
    expect(loadSettings({ REDIS_URL: "redis://10.0.0.5:6380/2", PONYCI_REDIS_SIGNING_KEY: KEY }).queue).toEqual({ kind: "redis", url: "redis://10.0.0.5:6380/2", prefix: "ponyci" });
    expect(loadSettings({ REDIS_URL: "rediss://:pw@10.0.0.5:6380/2", PONYCI_REDIS_SIGNING_KEY: KEY }).redisSigningKey).toBe(KEY);
  });

  it("reads the Redis key prefix (two installations on one Redis) and refuses one that would break key names", () => {
    expect(loadSettings({ PONYCI_REDIS_URL: "redis://127.0.0.1:6379", PONYCI_REDIS_SIGNING_KEY: KEY, PONYCI_REDIS_PREFIX: "ci-b" }).queue).toEqual({ kind: "redis", url: "redis://127.0.0.1:6379", prefix: "ci-b" });
    expect(() => loadSettings({ PONYCI_REDIS_URL: "redis://127.0.0.1:6379", PONYCI_REDIS_SIGNING_KEY: KEY, PONYCI_REDIS_PREFIX: "a:b" })).toThrow(/PONYCI_REDIS_PREFIX="a:b"/);
  });

  it("reads the runner's health port", () => {
    expect(loadSettings({}).runner.port).toBeUndefined();
    expect(loadSettings({ PONYCI_RUNNER_PORT: "9465" }).runner.port).toBe(9465);
    expect(() => loadSettings({ PONYCI_RUNNER_PORT: "70000" })).toThrow(/PONYCI_RUNNER_PORT=70000 is out of range/);
  });

  it("refuses Redis without a signing key of 32 characters or more: server and runners sign what they exchange", () => {
    for (const key of [undefined, "short"]) {
      const error = errorOf(() => loadSettings({ PONYCI_REDIS_URL: "redis://127.0.0.1:6379", ...(key ? { PONYCI_REDIS_SIGNING_KEY: key } : {}) }));
      expect(error.variable).toBe("PONYCI_REDIS_SIGNING_KEY");
      expect(error.message).toMatch(/openssl rand -hex 32/);
    }
    expect(loadSettings({}).redisSigningKey).toBeUndefined();
  });

  it("reads what a runner advertises", () => {
    const settings = loadSettings({ PONYCI_RUNNER_ID: "ci-host-2", PONYCI_RUNNER_LABELS: "gpu, big,gpu", PONYCI_RUNNER_PYTHONS: "3.11,3.13", PONYCI_LOCAL_RUNNER: "0" });
    expect(settings.runner).toEqual({ id: "ci-host-2", labels: ["gpu", "big"], pythons: ["3.11", "3.13"], repoUrls: [] });
    expect(loadSettings({ PONYCI_RUNNER_REPO_URLS: "/srv/git/a.git,file:///srv/git/b.git" }).runner.repoUrls).toEqual(["/srv/git/a.git", "file:///srv/git/b.git"]);
    expect(() => loadSettings({ PONYCI_RUNNER_REPO_URLS: "srv/relative.git" })).toThrow(/PONYCI_RUNNER_REPO_URLS/);
    expect(settings.localRunner).toBe(false);
    expect(loadSettings({}).localRunner).toBe(true);
  });
});

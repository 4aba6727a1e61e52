import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadSettings } from "../../src/settings/load-settings.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n";

/** Every variable name `loadSettings` looks up for `env`: the env is a proxy that records each read. */
function variablesRead(env: Record<string, string>, mode: "run" | "serve"): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === "string") read.add(name);
      return target[name as string];
    },
  });
  loadSettings(recording, mode);
  return read;
}

/** Names assigned in .env.example (`NAME=` lines; comments and blank lines skipped). */
function documentedVariables(): Set<string> {
  const text = readFileSync(path.join(ROOT, ".env.example"), "utf8");
  return new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string));
}

const LIBRARY_VARIABLES = ["DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"];
/** The process's own environment, handed on to host pip as it is (its search path, home, the operator's proxy). */
const SYSTEM_VARIABLES = ["PATH", "HOME", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"];

describe(".env.example", () => {
  it("declares every variable once: with two, the later (often empty) one wins in dotenv and Node's loadEnvFile", () => {
    const names = [...readFileSync(path.join(ROOT, ".env.example"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect(names.length).toBeGreaterThan(20);
  });

  it("lists exactly the variables loadSettings reads, in every mode and branch", () => {
    const keyFile = path.join(mkdtempSync(path.join(tmpdir(), "ponyci-env-")), "app.pem");
    writeFileSync(keyFile, PEM);
    // Each branch of loadSettings: CLI, serve in set-up mode, serve with a key file, serve with a key, the redis queue.
    const read = new Set([
      ...variablesRead({}, "run"),
      ...variablesRead({}, "serve"),
      ...variablesRead({ APP_ID: "1", PRIVATE_KEY_PATH: keyFile, WEBHOOK_SECRET: "x", GHE_HOST: "github.example.com" }, "serve"),
      ...variablesRead({ APP_ID: "1", PRIVATE_KEY: PEM, WEBHOOK_SECRET: "x" }, "serve"),
      ...variablesRead({ REDIS_URL: "redis://127.0.0.1:6379", PONYCI_REDIS_SIGNING_KEY: "k".repeat(32) }, "run"),
    ]);
    // The Docker CLI's own variables are read by docker-modem (runner/src/docker/create-docker.ts),
    // as operators know them from `docker`: documented, never re-parsed by us.
    for (const name of LIBRARY_VARIABLES) read.add(name);
    const documented = documentedVariables();
    for (const name of SYSTEM_VARIABLES) read.delete(name);
    expect([...read].filter((name) => !documented.has(name)).sort()).toEqual([]);
    expect([...documented].filter((name) => !read.has(name)).sort()).toEqual([]);
    // A guard against the proxy recording nothing at all.
    expect(read.size).toBeGreaterThan(20);
  });
});

/**
 * Issue 27's "done when": docs/deploy/compose.yaml brings up a server, Redis
 * and a runner (the images of docs/deploy/build-image.sh, built here from
 * this checkout; host networking, no bridge network) that build a pushed
 * repository green. The push arrives as the post-receive hook sends it (the
 * bridge, signed); the cell runs in Docker, started by the runner container
 * through the host's socket. Needs Debian's docker-compose (1.29) or Docker's
 * compose plugin. Cleans up: `down -v`, its containers, its directory.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import { execa } from "execa";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { APP_ID, WEBHOOK_SECRET, testPrivateKey } from "../support/signed-webhooks.js";
import { freePort, getLocal } from "../recovery/support/ponyci-process.js";
import { signBridgePayload } from "../../src/bridge/sign-bridge-payload.js";
import { BRIDGE_SIGNATURE_HEADER, BRIDGE_TIMESTAMP_HEADER } from "../../src/bridge/bridge-protocol.js";
import { LABEL_RUNNER } from "../../runner/src/docker/labels.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const COMPOSE_FILE = path.join(ROOT, "docs/deploy/compose.yaml");
const UID = 10001;

/** Debian's docker-compose, else Docker's plugin. */
async function composeCommand(): Promise<string[]> {
  if ((await execa("docker-compose", ["version"], { reject: false })).exitCode === 0) return ["docker-compose"];
  if ((await execa("docker", ["compose", "version"], { reject: false })).exitCode === 0) return ["docker", "compose"];
  throw new Error("neither docker-compose nor `docker compose` is installed: apt-get install docker-compose (Debian's 1.29 is enough)");
}

async function until<T>(what: string, read: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe("compose: server + Redis + runner", () => {
  const home = mkdtempSync(path.join(tmpdir(), "ponyci-compose-"));
  const project = `ponyci-e2e-${process.pid}`;
  const runnerId = `compose-e2e-${process.pid}`;
  let compose: string[] = [];
  let env: Record<string, string> = {};
  let port = 0;
  let runnerPort = 0;
  const run = (args: string[], options: { timeout?: number; reject?: boolean } = {}) =>
    execa(compose[0] as string, [...compose.slice(1), "-p", project, "-f", COMPOSE_FILE, ...args], { env: { ...process.env, ...env }, timeout: options.timeout ?? 120_000, reject: options.reject ?? true });
  const logs = async () => (await run(["logs", "--no-color", "--tail", "60"], { reject: false })).stdout;

  beforeAll(async () => {
    compose = await composeCommand();
    // The images, from this checkout (cached layers make a rebuild quick).
    await execa("sh", [path.join(ROOT, "docs/deploy/build-image.sh")], { env: { ...process.env, REDIS_IMAGE: "ponyci/redis:latest" }, timeout: 900_000 });
    chmodSync(home, 0o755);
    for (const dir of ["server", "runner", "repos"]) {
      mkdirSync(path.join(home, dir));
      chownSync(path.join(home, dir), UID, UID);
    }
    // The repository, pushed to a bare repository the server and the runner see at the same path.
    const fixture = await createFixtureRepo("django-pass");
    const sha = await fixture.commit("one cell", { ".github/ponyci.yml": 'python: ["3.13"]\ndjango: ["5.2"]\n' });
    const bare = path.join(home, "repos", "app.git");
    await execa("git", ["clone", "-q", "--bare", fixture.dir, bare]);
    await execa("chown", ["-R", `${UID}:${UID}`, bare]);
    rmSync(fixture.dir, { recursive: true, force: true });
    env = { SHA: sha };
    // The server's .env and key, in its working directory (Probot's convention).
    const server = path.join(home, "server");
    writeFileSync(path.join(server, "app.pem"), testPrivateKey(), { mode: 0o600 });
    writeFileSync(path.join(server, "private-repos.yml"), `repositories:\n  - name: app\n    url: ${bare}\n    secret: compose-e2e-bridge-secret\n    visibility: public\n`);
    writeFileSync(path.join(server, ".env"), [`APP_ID=${APP_ID}`, `PRIVATE_KEY_PATH=${server}/app.pem`, `WEBHOOK_SECRET=${WEBHOOK_SECRET}`, `PONYCI_PRIVATE_REPOS=${server}/private-repos.yml`, "PONYCI_GITHUB_API_URL=http://127.0.0.1:9", "LOG_LEVEL=info", ""].join("\n"));
    for (const file of ["app.pem", "private-repos.yml", ".env"]) chownSync(path.join(server, file), UID, UID);
    port = await freePort();
    runnerPort = await freePort();
    env = {
      PONYCI_HOME: home,
      DOCKER_GID: String(statSync("/var/run/docker.sock").gid),
      PORT: String(port),
      PONYCI_REDIS_PORT: String(await freePort()),
      PONYCI_RUNNER_PORT: String(runnerPort),
      PONYCI_RUNNER_ID: runnerId,
      PONYCI_REDIS_IMAGE: "ponyci/redis:latest",
      PONYCI_REDIS_SIGNING_KEY: "compose-e2e-signing-key-0123456789abcdef",
      // The bridge's repository is a local path: the runner may check it out (issue 23: nothing else local).
      PONYCI_RUNNER_REPO_URLS: bare,
      SHA: sha,
    };
    await run(["up", "-d"]);
  }, 1_200_000);

  afterAll(async () => {
    if (compose.length > 0) await run(["down", "-v", "--timeout", "20"], { reject: false, timeout: 180_000 });
    // Cells the runner started (it removes them itself when it drains; this is for a failed run).
    const { stdout } = await execa("docker", ["ps", "-aq", "--filter", `label=${LABEL_RUNNER}=${runnerId}`], { reject: false });
    for (const id of stdout.split("\n").filter(Boolean)) await execa("docker", ["rm", "-f", id], { reject: false });
    rmSync(home, { recursive: true, force: true });
  }, 240_000);

  it("builds a pushed repository green", async () => {
    // Up: the server answers, the runner is healthy (Docker, its base image, Redis).
    await until("the server", async () => ((await getLocal(port, "/ping"))?.status === 200 ? true : undefined), 120_000).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await logs()}`);
    });
    await until("the runner's /healthz", async () => ((await getLocal(runnerPort, "/healthz"))?.status === 200 ? true : undefined), 120_000).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await logs()}`);
    });

    // The push, as the post-receive hook sends it.
    const body = `${"0".repeat(40)} ${env.SHA} refs/heads/main\n`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const response = await fetch(`http://127.0.0.1:${port}/bridge/app/post-receive`, {
      method: "POST",
      body,
      headers: { [BRIDGE_TIMESTAMP_HEADER]: timestamp, [BRIDGE_SIGNATURE_HEADER]: signBridgePayload("compose-e2e-bridge-secret", timestamp, body) },
    });
    expect(response.status).toBe(202);

    // The verdict, read from the server's store (the same path on the host).
    const store = path.join(home, "server", "ponyci.sqlite");
    const jobs = await until(
      "the build to conclude",
      () => {
        const db = new Database(store, { readonly: true, fileMustExist: true });
        try {
          const rows = db.prepare<[], { state: string; conclusion: string | null; error: string | null }>("SELECT jobs.state, jobs.conclusion, jobs.error_json AS error FROM jobs JOIN builds ON builds.id = jobs.build_id WHERE builds.repo = 'app'").all();
          return rows.length > 0 && rows.every((row) => row.state === "finished" || row.state === "cancelled") ? rows : undefined;
        } finally {
          db.close();
        }
      },
      600_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await logs()}`);
    });
    // On failure: the job's error and the services' last log lines say why.
    if (jobs[0]?.conclusion !== "success") throw new Error(`the cell ended ${jobs[0]?.conclusion}: ${jobs[0]?.error}\n${await logs()}`);
    expect(jobs).toEqual([{ state: "finished", conclusion: "success", error: null }]);
    // The runner ran it: its metrics count environment builds done on its host.
    expect((await getLocal(runnerPort, "/metrics"))?.body).toMatch(/^ponyci_runner_accepting_cells\{runner="compose-e2e-\d+"\} 1$/m);
  }, 900_000);
});

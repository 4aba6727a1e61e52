/**
 * A runner host looks after itself: `ponyci runner`'s /healthz and /metrics,
 * and no cells taken while its Docker Engine does not answer. Docker is the
 * machine's Engine behind a socket proxy the test stops (never dockerd
 * itself); Redis is a redis-server of this file.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createJobSpec } from "../../src/domain/job-spec.js";
import type { Logger } from "../../src/domain/logger.js";
import { remoteNames } from "../../src/domain/remote-protocol.js";
import { createRemoteCellRunner, type RemoteCellRunner } from "../../src/remote/create-remote-cell-runner.js";
import { loadSettings } from "../../src/settings/load-settings.js";
import { createRedisSeal } from "../../src/domain/redis-seal.js";
import { TEST_REDIS_SIGNING_KEY } from "../support/github-app-harness.js";
import { startRunnerHost, type RunnerHost } from "../../src/cli/runner-command.js";
import { startDockerSocketProxy, type DockerSocketProxy } from "../support/docker-socket-proxy.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: urlPath, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      })
      .on("error", reject);
  });
}

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await read();
  }
  return last;
}

describe("ponyci runner looks after itself", () => {
  let redis: RedisServer;
  let proxy: DockerSocketProxy;
  let dataDir: string;
  let host: RunnerHost | undefined;
  let server: RemoteCellRunner | undefined;
  const savedDockerHost = process.env.DOCKER_HOST;
  const said: string[] = [];
  const log: Logger = {
    debug: () => undefined,
    info: (obj, msg) => void said.push(`info ${msg ?? String(obj)}`),
    warn: (obj, msg) => void said.push(`warn ${msg ?? String(obj)}`),
    error: (obj, msg) => void said.push(`error ${msg ?? String(obj)}`),
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = await startDockerSocketProxy();
    dataDir = mkdtempSync(path.join(tmpdir(), "ponyci-runner-health-"));
  });
  afterAll(async () => {
    await server?.stop();
    await host?.stop({ graceMs: 0 });
    if (savedDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = savedDockerHost;
    await proxy.remove();
    await redis.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("fails /healthz, takes no cells and says so while Docker is down; takes them again when it is back", async () => {
    // The runner's Docker client (docker-modem) reads DOCKER_HOST as the docker CLI does.
    process.env.DOCKER_HOST = proxy.url;
    const settings = loadSettings({ PONYCI_REDIS_URL: redis.url, PONYCI_REDIS_SIGNING_KEY: TEST_REDIS_SIGNING_KEY, PONYCI_DATA_DIR: dataDir, PONYCI_RUNNER_ID: "health-1", PONYCI_RUNNER_PORT: "0", PONYCI_RUNNER_PYTHONS: "3.13", HOST: "127.0.0.1", PONYCI_CONCURRENCY: "1", PONYCI_DISK_BUDGET: "500g", PONYCI_RUNNER_REPO_URLS: path.join(dataDir, "no-such-repository.git") }, "run");
    host = await startRunnerHost({ settings, log, healthIntervalMs: 200 });
    const port = host.port as number;

    const healthy = await get(port, "/healthz");
    expect(healthy.status).toBe(200);
    expect(JSON.parse(healthy.body)).toEqual({ status: "ok", checks: { docker: { ok: true }, images: { ok: true }, redis: { ok: true } } });
    expect((await get(port, "/metrics")).body).toMatch(/^ponyci_runner_accepting_cells\{runner="health-1"\} 1$/m);

    // Docker stops.
    await proxy.down();
    const failing = await until("/healthz to fail", () => get(port, "/healthz"), (r) => r.status === 503);
    const report = JSON.parse(failing.body) as { status: string; checks: Record<string, { ok: boolean; error?: string }> };
    expect(report.status).toBe("fail");
    expect(report.checks.docker?.ok).toBe(false);
    expect(report.checks.redis).toEqual({ ok: true });
    // The images check can fail first (its listing goes through the same stopped daemon), so wait for
    // the Docker check itself to say so, not only for the runner to stop taking cells.
    const stopped = await until("the runner to stop taking cells and report Docker down", () => get(port, "/metrics").then((r) => r.body), (body) => /^ponyci_runner_accepting_cells\{runner="health-1"\} 0$/m.test(body) && /^ponyci_runner_up\{runner="health-1",check="docker"\} 0$/m.test(body));
    expect(stopped).toMatch(/^ponyci_runner_up\{runner="health-1",check="docker"\} 0$/m);
    expect(said.filter((line) => /Docker Engine does not answer.*taking no cells/.test(line))).toHaveLength(1);

    // A cell dispatched now waits: this runner is the only one, and it takes nothing.
    server = createRemoteCellRunner({ url: redis.url, seal: createRedisSeal(TEST_REDIS_SIGNING_KEY), routeOf: () => ({ repo: "o/r", pullRequest: false, labels: [] }), pollMs: 200 });
    await server.start();
    const controller = new AbortController();
    const spec = { jobId: "health-cell", source: { url: path.join(dataDir, "no-such-repository.git"), sha: "a".repeat(40) }, ...createJobSpec({ python: "3.13", django: "5.2" }) };
    const events: string[] = [];
    const run = (async () => {
      for await (const event of server.runCell(spec, { signal: controller.signal })) events.push(event.type);
    })();
    const client = new Redis(redis.url);
    try {
      const queue = remoteNames().cellQueue("3.13", []);
      await until("the cell to be queued", () => client.zcard(`ponyci:${queue}:prioritized`).then(async (n) => n + (await client.llen(`ponyci:${queue}:wait`))), (n) => n === 1);
      // Ten health rounds and more than two poll rounds of the worker: it looked, and took nothing.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await client.xlen("ponyci:events")).toBe(0);
      expect(host.worker.status().running).toEqual([]);

      // Docker is back: healthy again, and the waiting cell is taken.
      await proxy.up();
      await until("/healthz to pass", () => get(port, "/healthz"), (r) => r.status === 200);
      await until("the runner to say it takes cells again", async () => said.filter((line) => /back; taking cells again/.test(line)).length, (n) => n === 1);
      const taken = await until("the cell to be taken", () => client.xrange("ponyci:events", "-", "+"), (entries) => entries.some(([, fields]) => (fields[1] ?? "").includes('"taken"')));
      expect(taken.length).toBeGreaterThan(0);
    } finally {
      controller.abort();
      await run.catch(() => undefined);
      await client.quit();
    }
    expect(events.at(-1)).toBe("finished");
  }, 60_000);
});

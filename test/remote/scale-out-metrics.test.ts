/**
 * Issue 14 item 6 end to end: `ponyci serve` over a real Redis with its own
 * runner (PONYCI_LOCAL_RUNNER, scripted cells) — while a cell runs, /metrics
 * shows the runner, its heartbeat and what it runs; afterwards the queue
 * wait of the cells queue it took them from.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { fakeGitHub, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { createSteeredRunner } from "../support/steered-runner.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import type { RunningServer } from "../../src/server/start-server.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

describe("/metrics with scale-out (Redis)", () => {
  let redis: RedisServer;
  let server: RunningServer;
  let base: string;
  const scripted = createSteeredRunner();
  let repo: Awaited<ReturnType<typeof createFixtureRepo>>;

  beforeAll(async () => {
    redis = await startRedisServer();
    fakeGitHub();
    // The server's own runner checks out a local path only when it is a configured bridge repository.
    repo = await createFixtureRepo("django-pass");
    const config = path.join(mkdtempSync(path.join(tmpdir(), "ponyci-metrics-")), "private-repos.yml");
    writeFileSync(config, `repositories:\n  - name: metered-remote\n    url: ${repo.dir}\n    secret: metrics-bridge-secret\n`);
    server = await startTestServer({
      runner: scripted.runner,
      settings: testServerSettings({ PONYCI_PRIVATE_REPOS: config, PONYCI_REDIS_URL: redis.url, PONYCI_REDIS_SIGNING_KEY: "scale-out-test-signing-key-0123456789", PONYCI_RUNNER_ID: "metrics-host", PONYCI_RUNNER_PYTHONS: "3.9,3.10,3.11,3.12,3.13,3.14", PONYCI_CONCURRENCY: "1" }),
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 500 });
    await redis?.remove();
  });

  const scrape = async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    return { text, families: parsePrometheusTextFormat(text) };
  };

  const showsRunning = (families: Awaited<ReturnType<typeof scrape>>["families"]) =>
    Number(families.find((f) => f.name === "ponyci_runner_cells_running")?.metrics.find((m) => m.labels?.runner === "metrics-host")?.value) >= 1;

  it("shows the runner's heartbeat and running cell, then the queue wait of its cells queue", async () => {
    const before = Date.now();
    const submitted = server.ponyci.builds.submit({ source: "bridge", repo: { name: "metered-remote", cloneUrl: repo.dir, visibility: "public" }, sha: repo.sha, branch: "main", event: "post-receive" });
    await submitted?.planned;
    const first = await waitFor(() => scripted.running()[0], 60_000, "a cell running on the server's own runner");

    // The runner's status reaches Redis with its next heartbeat: scrape until it shows the cell.
    let during = (await scrape()).families;
    for (let tries = 0; !showsRunning(during) && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      during = (await scrape()).families;
    }
    expect(showsRunning(during)).toBe(true);
    const of = (name: string) => during.find((f) => f.name === name);
    expect(of("ponyci_runner_last_heartbeat_timestamp_seconds")?.type).toBe("GAUGE");
    const heartbeat = Number(of("ponyci_runner_last_heartbeat_timestamp_seconds")?.metrics.find((m) => m.labels?.runner === "metrics-host")?.value);
    expect(heartbeat).toBeGreaterThanOrEqual(Math.floor(before / 1000) - 1);
    expect(heartbeat).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    expect(of("ponyci_runner_cells_running")?.metrics).toContainEqual({ labels: { runner: "metrics-host" }, value: "1" });
    expect(of("ponyci_runner_concurrency")?.metrics).toContainEqual({ labels: { runner: "metrics-host" }, value: "1" });
    expect(of("ponyci_runner_draining")?.metrics).toContainEqual({ labels: { runner: "metrics-host" }, value: "0" });
    const queued = of("ponyci_remote_queue_waiting_cells")?.metrics ?? [];
    expect(queued.length).toBeGreaterThan(0);
    for (const series of queued) expect(series.labels?.queue).toMatch(/^cells-py3\.\d+$/);
    const jobs = server.ponyci.store.listJobs(submitted?.build.id ?? 0);
    // One cell runs at a time (concurrency 1): the others wait in their cells queues.
    expect(queued.reduce((sum, m) => sum + Number(m.value), 0)).toBe(jobs.length - 1);
    first.finish();

    await waitFor(() => {
      for (const c of scripted.running()) c.finish();
      return server.ponyci.store.listJobs(submitted?.build.id ?? 0).every((j) => j.state === "finished") || undefined;
    }, 60_000, "the cells to finish");
    const after = await scrape();
    const taken = [...after.text.matchAll(/^ponyci_remote_queue_wait_seconds_count\{queue="(cells-py3\.\d+)"\} (\d+)$/gm)];
    expect(taken.reduce((sum, m) => sum + Number(m[2]), 0)).toBe(jobs.length);
    expect(after.families.find((f) => f.name === "ponyci_remote_queue_wait_seconds")?.type).toBe("SUMMARY");
    expect(after.families.find((f) => f.name === "ponyci_remote_late_events_dropped_total")?.metrics).toEqual([{ value: "0" }]);
    for (const family of after.families) {
      expect(family.name).toMatch(/^ponyci_[a-z0-9_]+$/);
      if (family.type === "COUNTER") expect(family.name).toMatch(/_total$/);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { fakeGitHub, postWebhook, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { createSteeredRunner } from "../support/steered-runner.js";
import type { RunningServer } from "../../src/server/start-server.js";
import { createOpsHandler } from "../../src/web/create-ops-handler.js";
import { createMetrics } from "../../src/metrics/create-metrics.js";
import http from "node:http";

const OURS = [
  ["ponyci_queue_depth", "GAUGE"],
  ["ponyci_queue_wait_seconds", "HISTOGRAM"],
  ["ponyci_cells_running", "GAUGE"],
  ["ponyci_cell_duration_seconds", "HISTOGRAM"],
  ["ponyci_environment_builds_total", "COUNTER"],
  ["ponyci_environment_cache_hits_total", "COUNTER"],
  ["ponyci_github_writes_total", "COUNTER"],
  ["ponyci_github_write_failures_total", "COUNTER"],
  ["ponyci_outbox_backlog", "GAUGE"],
  ["ponyci_webhook_deliveries_total", "COUNTER"],
  ["ponyci_bridge_deliveries_total", "COUNTER"],
] as const;

describe("/metrics and /healthz", () => {
  let server: RunningServer;
  let base: string;
  const scripted = createSteeredRunner();

  beforeAll(async () => {
    fakeGitHub();
    server = await startTestServer({ runner: scripted.runner, settings: testServerSettings() });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 500 });
  });

  it("serves the Prometheus text format: every series ponyci_…, counters _total, and what happened is counted", async () => {
    expect((await postWebhook(server.port, "ping", { zen: "Keep it logically awesome.", hook_id: 1, hook: { id: 1 } })).status).toBeLessThan(300);
    const repo = await createFixtureRepo("django-pass");
    const submitted = server.ponyci.builds.submit({ source: "bridge", repo: { name: "metered", cloneUrl: repo.dir, visibility: "public" }, sha: repo.sha, branch: "main", event: "post-receive" });
    await submitted?.planned;
    await waitFor(() => scripted.running()[0], 60_000, "a running cell");
    const during = parsePrometheusTextFormat(await (await fetch(`${base}/metrics`)).text());
    expect(Number(during.find((f) => f.name === "ponyci_cells_running")?.metrics[0]?.value)).toBeGreaterThanOrEqual(1);
    // Finish every cell as it starts (more cells than the concurrency wait their turn).
    await waitFor(() => {
      for (const c of scripted.running()) c.finish();
      return server.ponyci.store.listJobs(submitted?.build.id ?? 0).every((j) => j.state === "finished") || undefined;
    }, 30_000, "the cells to finish");

    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    const families = parsePrometheusTextFormat(text);
    for (const family of families) {
      expect(family.name).toMatch(/^ponyci_[a-z0-9_]+$/);
      if (family.type === "COUNTER") expect(family.name).toMatch(/_total$/);
      if (family.type === "HISTOGRAM" && !family.name.startsWith("ponyci_nodejs_")) expect(family.name).toMatch(/_seconds$/);
    }
    for (const [name, type] of OURS) expect({ name, type: families.find((f) => f.name === name)?.type }).toEqual({ name, type });
    const of = (name: string) => families.find((f) => f.name === name)?.metrics ?? [];
    expect(of("ponyci_webhook_deliveries_total")).toContainEqual(expect.objectContaining({ labels: { event: "ping", outcome: "received" }, value: "1" }));
    // parse-prometheus-text-format 1.1 keeps only the buckets of a labelled histogram (not its labels, sum
    // or count): the +Inf bucket is the count. Only "success" cells ran here, so there is one series.
    expect(text).toMatch(/^ponyci_cell_duration_seconds_count\{conclusion="success"\} \d+$/m);
    const durations = of("ponyci_cell_duration_seconds");
    expect(durations).toHaveLength(1);
    expect(Number(durations[0]?.buckets?.["+Inf"])).toBe(server.ponyci.store.listJobs(submitted?.build.id ?? 0).length);
    expect(Number(of("ponyci_queue_wait_seconds")[0]?.count)).toBeGreaterThanOrEqual(1);
    expect(of("ponyci_queue_depth")[0]?.value).toBe("0");
    expect(of("ponyci_cells_running")[0]?.value).toBe("0");
  });

  it("/healthz reports the store, Docker and the queue", async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", checks: { store: { ok: true }, docker: { ok: true }, queue: { ok: true } } });
  });

  it("/healthz answers 503 naming the check that failed or hung", async () => {
    const handler = createOpsHandler({
      metrics: createMetrics({ defaultMetrics: false }),
      timeoutMs: 200,
      checks: { store: async () => 1, docker: () => Promise.reject(new Error("connect ENOENT /var/run/docker.sock")), queue: () => new Promise(() => undefined) },
    });
    const probe = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = probe.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        status: "fail",
        checks: { store: { ok: true }, docker: { ok: false, error: "connect ENOENT /var/run/docker.sock" }, queue: { ok: false, error: "no answer within 200 ms" } },
      });
    } finally {
      probe.closeAllConnections();
      await new Promise((resolve) => probe.close(resolve));
    }
  });
});

/**
 * The registry's newer series, fed through the ports the parts use and read
 * back as Prometheus text: environment build phases (the runner's
 * EnvironmentMetrics callbacks) and the scale-out gauges read on scrape.
 * The end-to-end versions run a real Redis (test/remote/scale-out-metrics.test.ts)
 * and a real environment build (test/environment/create-environment-builder.test.ts).
 */
import { describe, expect, it } from "@jest/globals";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { createMetrics } from "../../src/metrics/create-metrics.js";
import type { MetricsSources } from "../../src/metrics/metrics.js";

const counts = async () => ({ queued: 0, running: 0 });

describe("createMetrics", () => {
  it("records environment build phases, whole builds and wheels from the runner's callbacks", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const env = metrics.environment;
    env.phase?.({ phase: "resolve", resolver: "uv", seconds: 0.3 });
    env.phase?.({ phase: "download", resolver: "uv", seconds: 4 });
    env.phase?.({ phase: "install", resolver: "uv", seconds: 1.5 });
    env.phase?.({ phase: "install", resolver: "uv", seconds: 2.5 });
    env.phase?.({ phase: "compile", resolver: "uv", seconds: 0.7 });
    env.ensured?.({ outcome: "built", resolver: "uv", seconds: 9 });
    env.ensured?.({ outcome: "failed", resolver: "pip", seconds: 3 });
    env.ensured?.({ outcome: "cached", resolver: "uv", seconds: 0 });
    env.wheels?.({ downloaded: 5, cached: 2 });
    env.wheels?.({ downloaded: 1, cached: 0 });
    const text = await metrics.registry.metrics();
    const families = parsePrometheusTextFormat(text);
    expect(families.find((f) => f.name === "ponyci_environment_phase_duration_seconds")?.type).toBe("HISTOGRAM");
    expect(text).toMatch(/^ponyci_environment_phase_duration_seconds_count\{phase="install",resolver="uv"\} 2$/m);
    expect(text).toMatch(/^ponyci_environment_phase_duration_seconds_sum\{phase="install",resolver="uv"\} 4$/m);
    expect(text).toMatch(/^ponyci_environment_phase_duration_seconds_count\{phase="resolve",resolver="uv"\} 1$/m);
    expect(text).toMatch(/^ponyci_environment_phase_duration_seconds_count\{phase="compile",resolver="uv"\} 1$/m);
    expect(text).not.toMatch(/^ponyci_environment_phase_duration_seconds_count\{phase="layer"/m);
    // Builds by outcome; a cache answer is no build (cache hits have their own counter, per cell).
    expect(text).toMatch(/^ponyci_environment_build_duration_seconds_count\{outcome="built",resolver="uv"\} 1$/m);
    expect(text).toMatch(/^ponyci_environment_build_duration_seconds_count\{outcome="failed",resolver="pip"\} 1$/m);
    expect(text).not.toMatch(/outcome="cached"/);
    const wheels = families.find((f) => f.name === "ponyci_environment_wheels_total");
    expect(wheels?.type).toBe("COUNTER");
    expect(wheels?.metrics).toEqual(expect.arrayContaining([{ labels: { source: "downloaded" }, value: "6" }, { labels: { source: "cached" }, value: "2" }]));
  });

  it("reads runners and waiting cells once per scrape, drops runners that left, and still answers when Redis fails", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let reads = 0;
    let state: Awaited<ReturnType<NonNullable<MetricsSources["scaleOut"]>>> | Error = {
      runners: [
        { id: "host-a", labels: [], pythons: ["3.11"], concurrency: 2, running: ["7#1", "8#1"], at: 1_700_000_000_500, draining: false },
        { id: "bad runner\nid", labels: [], pythons: ["3.11"], concurrency: 1, running: [], at: 1_700_000_001_000, draining: true },
      ],
      waiting: { "cells-py3.11": 3, "cells-py3.13-gpu": 0 },
    };
    metrics.setSources({
      queueCounts: counts,
      outboxBacklog: () => 0,
      scaleOut: async () => {
        reads++;
        if (state instanceof Error) throw state;
        return state;
      },
    });
    const scrape = async () => parsePrometheusTextFormat(await metrics.registry.metrics());
    const of = (families: Awaited<ReturnType<typeof scrape>>, name: string) => families.find((f) => f.name === name)?.metrics ?? [];

    const first = await scrape();
    expect(reads).toBe(1);
    expect(of(first, "ponyci_runner_last_heartbeat_timestamp_seconds")).toEqual([
      { labels: { runner: "host-a" }, value: "1700000000.5" },
      { labels: { runner: "other" }, value: "1700000001" },
    ]);
    expect(of(first, "ponyci_runner_cells_running")).toContainEqual({ labels: { runner: "host-a" }, value: "2" });
    expect(of(first, "ponyci_runner_concurrency")).toContainEqual({ labels: { runner: "host-a" }, value: "2" });
    expect(of(first, "ponyci_runner_draining")).toEqual([{ labels: { runner: "host-a" }, value: "0" }, { labels: { runner: "other" }, value: "1" }]);
    expect(of(first, "ponyci_remote_queue_waiting_cells")).toEqual([{ labels: { queue: "cells-py3.11" }, value: "3" }, { labels: { queue: "cells-py3.13-gpu" }, value: "0" }]);

    state = { runners: [{ id: "host-b", labels: ["gpu"], pythons: ["3.13"], concurrency: 1, running: [], at: 1_700_000_002_000, draining: false }], waiting: {} };
    const second = await scrape();
    expect(reads).toBe(2);
    expect(of(second, "ponyci_runner_last_heartbeat_timestamp_seconds")).toEqual([{ labels: { runner: "host-b" }, value: "1700000002" }]);
    expect(of(second, "ponyci_remote_queue_waiting_cells")).toEqual([]);

    state = new Error("Connection is closed.");
    const third = await scrape();
    expect(of(third, "ponyci_runner_last_heartbeat_timestamp_seconds")).toEqual([]);
    expect(of(third, "ponyci_outbox_backlog")).toEqual([{ value: "0" }]);
  });

  it("keeps remote queue waits as a summary per cells queue and counts late events", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (const seconds of [0.1, 0.2, 0.3, 0.4, 10]) metrics.observeRemoteQueueWait("cells-py3.11", seconds);
    metrics.observeRemoteQueueWait("cells-py3.13-gpu", 2);
    metrics.countLateEvent();
    metrics.countLateEvent();
    const text = await metrics.registry.metrics();
    const families = parsePrometheusTextFormat(text);
    expect(families.find((f) => f.name === "ponyci_remote_queue_wait_seconds")?.type).toBe("SUMMARY");
    expect(text).toMatch(/^ponyci_remote_queue_wait_seconds_count\{queue="cells-py3.11"\} 5$/m);
    expect(text).toMatch(/^ponyci_remote_queue_wait_seconds\{quantile="0.5",queue="cells-py3.11"\} 0.3$/m);
    expect(text).toMatch(/^ponyci_remote_queue_wait_seconds_count\{queue="cells-py3.13-gpu"\} 1$/m);
    expect(families.find((f) => f.name === "ponyci_remote_late_events_dropped_total")?.metrics).toEqual([{ value: "2" }]);
  });
});

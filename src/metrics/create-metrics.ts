import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from "prom-client";
import type { Metrics, MetricsSources } from "./metrics.js";

/** How long a scrape waits for Redis (runner and queue gauges) before leaving them out. */
const SCALE_OUT_READ_MS = 2_000;

/**
 * The metrics registry with prom-client: one Registry per app (no global
 * state), process metrics prefixed `ponyci_` like ours, gauges read from
 * `sources` when Prometheus scrapes. `setSources` is called once the queue
 * and outbox exist (they are created after the listeners that record).
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics & { setSources(sources: MetricsSources): void } {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "ponyci_" });
  let sources: MetricsSources | undefined;

  // Gauges read when Prometheus scrapes (prom-client collects them concurrently, each on its own).
  const gauge = (name: string, help: string, read: (sources: MetricsSources) => Promise<number> | number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        if (sources) this.set(await read(sources));
      },
    });
  gauge("ponyci_queue_depth", "Cell jobs waiting in the queue.", async (s) => (await s.queueCounts()).queued);
  gauge("ponyci_cells_running", "Cells running now.", async (s) => (await s.queueCounts()).running);
  gauge("ponyci_outbox_backlog", "GitHub writes recorded but not sent yet.", (s) => s.outboxBacklog());
  const queueWait = new Histogram({ name: "ponyci_queue_wait_seconds", help: "Time from queueing a cell to its first start.", buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600], registers: [registry] });
  const cellDuration = new Histogram({ name: "ponyci_cell_duration_seconds", help: "Wall time of a cell's run, by conclusion.", labelNames: ["conclusion"], buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600], registers: [registry] });
  const environmentBuilds = new Counter({ name: "ponyci_environment_builds_total", help: "Environment images built for a cell.", registers: [registry] });
  const environmentHits = new Counter({ name: "ponyci_environment_cache_hits_total", help: "Cells whose environment came from the cache.", registers: [registry] });
  const githubWrites = new Counter({ name: "ponyci_github_writes_total", help: "Attempts to write to GitHub, by kind and outcome.", labelNames: ["kind", "outcome"], registers: [registry] });
  const githubFailures = new Counter({ name: "ponyci_github_write_failures_total", help: "Writes to GitHub that failed (retried or refused), by kind.", labelNames: ["kind"], registers: [registry] });
  const webhooks = new Counter({ name: "ponyci_webhook_deliveries_total", help: "GitHub webhook deliveries, by event and outcome.", labelNames: ["event", "outcome"], registers: [registry] });
  const bridge = new Counter({ name: "ponyci_bridge_deliveries_total", help: "Post-receive deliveries of the bridge, by outcome.", labelNames: ["outcome"], registers: [registry] });
  // Label values come from our own vocabulary, but bound them anyway: a label per hostile string would grow forever.
  const label = (value: string) => (/^[\w.-]{1,40}$/.test(value) ? value : "other");
  // Runner ids (PONYCI_RUNNER_ID, host names) and cells queue names ("cells-py3.11-gpu") are longer.
  const name = (value: string) => (/^[\w.:@-]{1,200}$/.test(value) ? value : "other");

  // Environment builds (the runner's EnvironmentMetrics port): phases, whole builds, wheels.
  const phaseDuration = new Histogram({ name: "ponyci_environment_phase_duration_seconds", help: "Time of one phase of an environment build (resolve, download, install; compile runs after the cell has it), by resolver.", labelNames: ["phase", "resolver"], buckets: [0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900], registers: [registry] });
  const buildDuration = new Histogram({ name: "ponyci_environment_build_duration_seconds", help: "Wall time of an environment build, by outcome (built, failed) and resolver.", labelNames: ["outcome", "resolver"], buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 900], registers: [registry] });
  const wheels = new Counter({ name: "ponyci_environment_wheels_total", help: "Wheels environment builds needed, by where they came from (downloaded, cached).", labelNames: ["source"], registers: [registry] });

  // Scale-out (Redis). Runner and waiting gauges are read from Redis once per scrape (every collect() of one
  // scrape shares the read) and bounded in time: a Redis that does not answer must not hang /metrics.
  let snapshot: Promise<Awaited<ReturnType<NonNullable<MetricsSources["scaleOut"]>>> | undefined> | undefined;
  const readScaleOut = () => {
    const read = sources?.scaleOut;
    if (!read) return Promise.resolve(undefined);
    snapshot ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([read(), new Promise<undefined>((resolve) => (timer = setTimeout(resolve, SCALE_OUT_READ_MS, undefined)))]);
      } catch {
        return undefined; // Redis away: the runner series are left out (unknown), the scrape still answers
      } finally {
        clearTimeout(timer);
        snapshot = undefined;
      }
    })();
    return snapshot;
  };
  const scaleOutGauge = (gaugeName: string, help: string, labelName: string, fill: (gauge: Gauge, state: NonNullable<Awaited<ReturnType<typeof readScaleOut>>>) => void) =>
    new Gauge({
      name: gaugeName,
      help,
      labelNames: [labelName],
      registers: [registry],
      async collect() {
        const state = await readScaleOut();
        // Runners come and go: series of one that left disappear rather than freeze at their last value.
        this.reset();
        if (state) fill(this, state);
      },
    });
  scaleOutGauge("ponyci_runner_last_heartbeat_timestamp_seconds", "Last heartbeat of each live runner (Unix time).", "runner", (g, s) => {
    for (const runner of s.runners) g.set({ runner: name(runner.id) }, runner.at / 1000);
  });
  scaleOutGauge("ponyci_runner_cells_running", "Cells each live runner is running now.", "runner", (g, s) => {
    for (const runner of s.runners) g.set({ runner: name(runner.id) }, runner.running.length);
  });
  scaleOutGauge("ponyci_runner_concurrency", "Cells each live runner takes at once.", "runner", (g, s) => {
    for (const runner of s.runners) g.set({ runner: name(runner.id) }, runner.concurrency);
  });
  scaleOutGauge("ponyci_runner_draining", "1 while a runner drains (SIGTERM: takes no new cells), else 0.", "runner", (g, s) => {
    for (const runner of s.runners) g.set({ runner: name(runner.id) }, runner.draining ? 1 : 0);
  });
  scaleOutGauge("ponyci_remote_queue_waiting_cells", "Cells waiting for a runner, per cells queue (Python and labels).", "queue", (g, s) => {
    for (const [queue, count] of Object.entries(s.waiting)) g.set({ queue: name(queue) }, count);
  });
  const remoteWait = new Summary({ name: "ponyci_remote_queue_wait_seconds", help: "Time from dispatching a cell to a runner taking it, per cells queue (last 10 minutes).", labelNames: ["queue"], percentiles: [0.5, 0.95], maxAgeSeconds: 600, ageBuckets: 5, registers: [registry] });
  const lateEvents = new Counter({ name: "ponyci_remote_late_events_dropped_total", help: "Runner events of attempts given up on that arrived late and were dropped.", registers: [registry] });

  return {
    registry,
    setSources: (next) => {
      sources = next;
    },
    observeQueueWait: (seconds) => queueWait.observe(Math.max(0, seconds)),
    observeCellDuration: (conclusion, seconds) => cellDuration.observe({ conclusion: label(conclusion) }, Math.max(0, seconds)),
    countEnvironment: (built) => (built ? environmentBuilds.inc() : environmentHits.inc()),
    countGitHubWrite: (kind, outcome) => {
      githubWrites.inc({ kind: label(kind), outcome });
      if (outcome !== "sent") githubFailures.inc({ kind: label(kind) });
    },
    countWebhookDelivery: (event, outcome) => webhooks.inc({ event: label(event), outcome: label(outcome) }),
    countBridgeDelivery: (outcome) => bridge.inc({ outcome: label(outcome) }),
    environment: {
      phase: ({ phase, resolver, seconds }) => phaseDuration.observe({ phase: label(phase), resolver: label(resolver) }, Math.max(0, seconds)),
      ensured: ({ outcome, resolver, seconds }) => {
        // "cached" answers are counted per cell by ponyci_environment_cache_hits_total; their time is nil.
        if (outcome !== "cached") buildDuration.observe({ outcome: label(outcome), resolver: label(resolver) }, Math.max(0, seconds));
      },
      wheels: ({ downloaded, cached }) => {
        wheels.inc({ source: "downloaded" }, Math.max(0, downloaded));
        wheels.inc({ source: "cached" }, Math.max(0, cached));
      },
    },
    observeRemoteQueueWait: (queue, seconds) => remoteWait.observe({ queue: name(queue) }, Math.max(0, seconds)),
    countLateEvent: () => lateEvents.inc(),
  };
}

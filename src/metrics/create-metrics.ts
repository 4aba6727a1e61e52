import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Metrics, MetricsSources } from "./metrics.js";

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
  const environmentHits = new Counter({ name: "ponyci_environment_cache_hits_total", help: "Cells whose environment image came from the cache.", registers: [registry] });
  const githubWrites = new Counter({ name: "ponyci_github_writes_total", help: "Attempts to write to GitHub, by kind and outcome.", labelNames: ["kind", "outcome"], registers: [registry] });
  const githubFailures = new Counter({ name: "ponyci_github_write_failures_total", help: "Writes to GitHub that failed (retried or refused), by kind.", labelNames: ["kind"], registers: [registry] });
  const webhooks = new Counter({ name: "ponyci_webhook_deliveries_total", help: "GitHub webhook deliveries, by event and outcome.", labelNames: ["event", "outcome"], registers: [registry] });
  const bridge = new Counter({ name: "ponyci_bridge_deliveries_total", help: "Post-receive deliveries of the bridge, by outcome.", labelNames: ["outcome"], registers: [registry] });
  // Label values come from our own vocabulary, but bound them anyway: a label per hostile string would grow forever.
  const label = (value: string) => (/^[\w.-]{1,40}$/.test(value) ? value : "other");

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
  };
}

import type { Registry } from "prom-client";
import type { EnvironmentMetrics } from "../domain/environment-metrics.js";
import type { ScaleOutMetrics } from "../remote/create-remote-cell-runner.js";

/** How a write to GitHub ended: sent, to be retried, or refused for good. */
export type GitHubWriteOutcome = "sent" | "retry" | "rejected";

/**
 * The metrics port: what parts of the app record, and the registry
 * `/metrics` serves. Every series is named `ponyci_…` with Prometheus
 * conventions (unit suffixes, `_total` counters; docs/dashboards.md lists
 * them). Recording never throws and costs a few map lookups. Create it with
 * `createMetrics`; parts take it as an optional dependency.
 */
export interface Metrics {
  readonly registry: Registry;
  /** A cell started its first attempt `seconds` after it was queued. */
  observeQueueWait(seconds: number): void;
  /** A cell ended with `conclusion` after running `seconds`. */
  observeCellDuration(conclusion: string, seconds: number): void;
  /** A cell's environment was built for it, or taken from the cache. */
  countEnvironment(built: boolean): void;
  /** One attempt to write to GitHub (check runs), by write kind. */
  countGitHubWrite(kind: string, outcome: GitHubWriteOutcome): void;
  /** A webhook delivery, by event and outcome (handled, failed). */
  countWebhookDelivery(event: string, outcome: string): void;
  /** A post-receive delivery of the bridge, by outcome (accepted, rejected, error). */
  countBridgeDelivery(outcome: string): void;
  /** Environment builds on this host: phase durations, build outcomes, wheels (the runner's callback port). */
  readonly environment: EnvironmentMetrics;
  /** Scale-out: a runner took a cell `seconds` after it was dispatched to cells queue `queue`. */
  observeRemoteQueueWait(queue: string, seconds: number): void;
  /** Scale-out: an event of an attempt given up on arrived late and was dropped (fencing). */
  countLateEvent(): void;
}

/** What is read at scrape time (gauges), from the parts that know it. */
export interface MetricsSources {
  queueCounts(): Promise<{ queued: number; running: number }>;
  outboxBacklog(): number;
  /** With Redis: live runners (heartbeat, what each runs) and cells waiting per cells queue. Read once per scrape. */
  scaleOut?(): Promise<Pick<ScaleOutMetrics, "runners" | "waiting">>;
}

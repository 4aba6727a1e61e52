import { Gauge, type Registry } from "prom-client";

export interface RunnerGaugeSources {
  /** PONYCI_RUNNER_ID. */
  id: string;
  /** The last background check per dependency (true: usable). */
  health(): { docker: boolean; images: boolean };
  accepting(): boolean;
  /** Attempts running now, and the concurrency limit. */
  running(): number;
  concurrency: number;
}

/**
 * A `ponyci runner`'s own series, read at scrape time (the server's
 * `ponyci_runner_*` series come from heartbeats in Redis; these come from
 * the runner itself, so they answer when Redis does not):
 * `ponyci_runner_up{runner,check}` 1/0 per dependency (docker, images),
 * `ponyci_runner_accepting_cells{runner}`,
 * `ponyci_runner_cells_running{runner}`, `ponyci_runner_concurrency{runner}`.
 */
export function registerRunnerGauges(registry: Registry, sources: RunnerGaugeSources): void {
  const runner = sources.id;
  new Gauge({
    name: "ponyci_runner_up",
    help: "1 when the runner's last check of a dependency (docker, images) passed.",
    labelNames: ["runner", "check"],
    registers: [registry],
    collect() {
      for (const [check, ok] of Object.entries(sources.health())) this.set({ runner, check }, ok ? 1 : 0);
    },
  });
  const gauge = (name: string, help: string, read: () => number) => {
    // createMetrics registers the server's view of these (read from heartbeats in Redis): the runner's own replaces it.
    registry.removeSingleMetric(name);
    return new Gauge({
      name,
      help,
      labelNames: ["runner"],
      registers: [registry],
      collect() {
        this.set({ runner }, read());
      },
    });
  };
  gauge("ponyci_runner_accepting_cells", "1 while the runner takes cells (0: Docker or its base images are unusable, or it drains).", () => (sources.accepting() ? 1 : 0));
  gauge("ponyci_runner_cells_running", "Attempts this runner runs now.", () => sources.running());
  gauge("ponyci_runner_concurrency", "Cells this runner takes at once.", () => sources.concurrency);
}

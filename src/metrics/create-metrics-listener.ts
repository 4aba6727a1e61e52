import type { BuildListener } from "../builds/build-listener.js";
import type { Metrics } from "./metrics.js";

/** Records cells' queue wait (first attempts) and durations by conclusion from the build events. */
export function createMetricsListener(metrics: Metrics): BuildListener {
  return {
    started(_build, job) {
      if (job.attempts === 1 && job.startedAt !== undefined) metrics.observeQueueWait((job.startedAt - job.createdAt) / 1000);
    },
    finished({ job, finished }) {
      metrics.observeCellDuration(finished.conclusion, job.startedAt !== undefined && job.finishedAt !== undefined ? (job.finishedAt - job.startedAt) / 1000 : finished.durationMs / 1000);
    },
  };
}

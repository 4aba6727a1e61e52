import type { Conclusion } from "../domain/events.js";
import type { BuildStatus } from "../domain/build.js";
import type { JobState } from "./job-rows.js";

export type { BuildStatus } from "../domain/build.js";

/** Worst first: a build is as bad as its worst job; a test failure (the code's fault) outranks an infrastructure error. */
const severity: readonly Conclusion[] = ["failure", "timed_out", "error", "cancelled", "neutral", "success"];

/**
 * A build's status from its jobs' states and conclusions (grouped, with a
 * count). A build without jobs is finished with no conclusion.
 */
export function deriveBuildStatus(
  jobs: readonly { state: JobState; conclusion?: Conclusion | undefined; count?: number }[],
): BuildStatus {
  const total = jobs.reduce((sum, job) => sum + (job.count ?? 1), 0);
  const ended = jobs.filter((job) => job.state === "finished" || job.state === "cancelled");
  const endedCount = ended.reduce((sum, job) => sum + (job.count ?? 1), 0);
  if (total === 0) return { state: "finished", jobs: 0 };
  if (endedCount === total) {
    const conclusions = ended.map((job) => job.conclusion ?? (job.state === "cancelled" ? "cancelled" : "error"));
    const conclusion = severity.find((candidate) => conclusions.includes(candidate)) ?? "success";
    return { state: "finished", conclusion, jobs: total };
  }
  const anyStarted = endedCount > 0 || jobs.some((job) => job.state === "running");
  return { state: anyStarted ? "running" : "queued", jobs: total };
}

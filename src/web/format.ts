import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";

/** Small formatters the pages share. Pure. */

/** "3 min ago" relative to `now`. */
export function formatAgo(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** What a job's tile shows: queued, running, or its conclusion. */
export function tileState(job: Pick<JobRecord, "state" | "conclusion">): string {
  if (job.state === "queued" || job.state === "running") return job.state;
  return job.conclusion ?? job.state;
}

/** The build's duration: first start to last finish of its jobs (so far). */
export function buildDuration(jobs: readonly JobRecord[], now: number): number | undefined {
  const starts = jobs.flatMap((job) => (job.startedAt === undefined ? [] : [job.startedAt]));
  if (starts.length === 0) return undefined;
  const running = jobs.some((job) => job.state === "running" || job.state === "queued");
  const ends = jobs.flatMap((job) => (job.finishedAt === undefined ? [] : [job.finishedAt]));
  return (running ? now : Math.max(...ends, ...starts)) - Math.min(...starts);
}

/** "push", "pull request", "bridge", "downstream ← app@abc1234", "re-run", "scheduled (0 3 * * *)", "merge queue". */
export function describeTrigger(build: BuildRecord): string {
  const request = build.trigger.request as { upstream?: { repo: string; sha: string }; schedule?: { cron: string } } | undefined;
  if (request?.upstream) return `downstream ← ${request.upstream.repo}@${request.upstream.sha.slice(0, 7)}`;
  if (build.event === "schedule") return request?.schedule ? `scheduled (${request.schedule.cron})` : "scheduled";
  if (build.event === "merge_group") return "merge queue";
  if (build.source === "bridge") return "bridge push";
  switch (build.event) {
    case "pull_request":
      return "pull request";
    case "rerequested":
      return "re-run";
    case "rerun-failed":
      return "re-run failed";
    default:
      return build.event;
  }
}

/** "main", "PR #12", or "" */
export function describeRef(build: BuildRecord): string {
  if (build.prNumber !== undefined) return `PR #${build.prNumber}${build.branch ? ` (${build.branch})` : ""}`;
  return build.branch ?? "";
}

import type { BuildListener, CellFinished } from "../builds/build-listener.js";
import type { PrivateRepo } from "../bridge/private-repo.js";
import { cellName } from "../domain/cell.js";
import type { Outbox } from "../outbox/outbox.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { Store } from "../store/store.js";
import { FORGE_KEY_PREFIX } from "./forge-status-write.js";
import { BUILD_CONTEXT, planForgeStatus, type StatusState } from "./plan-forge-status.js";

export interface ForgeStatusReporterOptions {
  /** The forges' outbox (lane `forge:`). */
  outbox: Pick<Outbox, "enqueue">;
  store: Pick<Store, "getBuild" | "listJobs">;
  /** The bridge's repositories; those with `forge:` and a token get statuses. */
  repos: readonly PrivateRepo[];
  /** The dashboard's base URL: every status links to its build or cell page. */
  publicUrl: string;
}

/**
 * Sets commit statuses on a private repository's forge (Gitea, Forgejo,
 * GitLab): one per cell (`ponyci/<cell>`) and one for the build (`ponyci`),
 * pending when planned, then the verdict. Reporters decide nothing: the
 * build's verdict is the store's. Confirmation re-runs are attempts of
 * their cell: they get no status of their own.
 */
export function createForgeStatusReporter(options: ForgeStatusReporterOptions): BuildListener {
  const repos = new Map(options.repos.filter((repo) => repo.forge?.token).map((repo) => [repo.name, repo]));
  const base = options.publicUrl.replace(/\/+$/, "");

  const post = (build: BuildRecord, context: string, state: StatusState, description: string, targetUrl: string): void => {
    const forge = build.source === "bridge" ? repos.get(build.repo)?.forge : undefined;
    if (!forge) return;
    const write = planForgeStatus({ repo: build.repo, forge, sha: build.sha, context, state, description, targetUrl, branch: build.branch });
    options.outbox.enqueue({ key: `${FORGE_KEY_PREFIX}${build.id}:${context}`, kind: state === "pending" ? "create" : "complete", payload: write, coalesce: false });
  };
  const isAttempt = (job: JobRecord) => typeof job.external.confirms === "string";
  const buildVerdict = (build: BuildRecord): void => {
    const current = options.store.getBuild(build.id);
    if (!current || current.status.state !== "finished") return;
    const conclusion = current.status.conclusion ?? "error";
    const cells = options.store.listJobs(build.id).filter((job) => !isAttempt(job));
    const red = cells.filter((job) => job.conclusion !== "success" && job.conclusion !== "neutral").length;
    post(current, BUILD_CONTEXT, conclusion, red === 0 ? `${cells.length} cells passed` : `${red} of ${cells.length} cells ${conclusion === "failure" ? "failed" : "did not pass"}`, `${base}/builds/${build.id}`);
  };

  return {
    planned(build, jobs) {
      if (!repos.has(build.repo) || build.source !== "bridge") return;
      post(build, BUILD_CONTEXT, "pending", `${jobs.length} cells queued`, `${base}/builds/${build.id}`);
      for (const job of jobs) if (!isAttempt(job)) post(build, `${BUILD_CONTEXT}/${cellName(job.cell)}`, "pending", "queued", `${base}/builds/${build.id}/jobs/${job.id}`);
    },
    finished(event: CellFinished) {
      const { build, job } = event;
      if (!repos.has(build.repo) || build.source !== "bridge" || isAttempt(job)) return;
      const counts = job.counts;
      const description = counts ? `${counts.passed} passed, ${counts.failed + counts.error} failed` : (job.error?.message ?? job.conclusion ?? "");
      post(build, `${BUILD_CONTEXT}/${cellName(job.cell)}`, job.conclusion ?? "error", description, `${base}/builds/${build.id}/jobs/${job.id}`);
      buildVerdict(build);
    },
    cancelled(build, job, reason) {
      if (!repos.has(build.repo) || build.source !== "bridge" || isAttempt(job)) return;
      post(build, `${BUILD_CONTEXT}/${cellName(job.cell)}`, "cancelled", reason, `${base}/builds/${build.id}/jobs/${job.id}`);
      buildVerdict(build);
    },
  };
}

import type { BuildRequest, BuildSource, Visibility } from "./build-request.js";

export type { BuildSource, Visibility } from "./build-request.js";
import type { Conclusion } from "./events.js";

/*
 * A build: one commit of one repository, planned into jobs (./job.ts). The
 * store records it (src/store/build-rows.ts); the app reads it as this type.
 */

/** What started a build, as the store keeps it (JSON in the build's row). */
export interface BuildTrigger {
  request?: BuildRequest;
}

export interface BuildStatus {
  /**
   * queued: no job has started. running: some job is running, or some have
   * ended and others wait. finished: every job ended (finished or cancelled).
   */
  state: "queued" | "running" | "finished";
  /** When finished: the worst conclusion of its jobs. */
  conclusion?: Conclusion;
  jobs: number;
}

/** pending: recorded, config not read yet. planned: jobs created. config-error: the repo config is broken (no jobs). */
export type PlanState = "pending" | "planned" | "config-error";

export interface NewBuild {
  /** "owner/name" on GitHub, or the private repository's name on the bridge. */
  repo: string;
  source: BuildSource;
  visibility: Visibility;
  sha: string;
  branch?: string;
  prNumber?: number;
  /** What started it: "push", "pull_request", "rerequested", "downstream", "manual"… */
  event: string;
  /** What asked for it: the request the build service planned (absent on builds recorded without one). */
  trigger?: BuildTrigger;
  /** Default "planned" (jobs given with the build); "pending" when the plan comes later. */
  planState?: PlanState;
}

export interface Build extends NewBuild {
  id: number;
  trigger: BuildTrigger;
  planState: PlanState;
  /** What planning decided: matrix source, notes, the config error. */
  plan: Record<string, unknown>;
  createdAt: number;
  /** Derived from the build's jobs. */
  status: BuildStatus;
}

/**
 * The request a build was planned from. Every build the build service records
 * has one; a build without one (recorded by hand, say) cannot be planned or run.
 * @throws Error naming the build
 */
export function requestOf(build: Pick<Build, "id" | "trigger">): BuildRequest {
  const request = build.trigger.request;
  if (!request) throw new Error(`build #${build.id} was recorded without a request: it cannot be planned or run`);
  return request;
}

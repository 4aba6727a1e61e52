import type { CellFinished } from "../builds/build-listener.js";
import { isLiteralBranch } from "./match-branch.js";
import type { PrivateRepo } from "./private-repo.js";

/** What a downstream trigger needs of a private repository. */
export type DownstreamProject = Pick<PrivateRepo, "name" | "url" | "visibility" | "after" | "branches">;

/** A project to build after an app's cell passed. */
export interface DownstreamTarget {
  project: DownstreamProject;
  /** The project's branch whose latest commit is built; "HEAD" when it builds every branch. */
  branch: string;
}

/**
 * Which projects to rebuild when a cell finished: only when it is a passing
 * cell of a GitHub repository's push build on its default branch (else
 * "main"), and only the projects whose `after:` names that repository. A
 * failed, cancelled or errored cell, a pull request, a downstream build
 * itself: nothing. Pure.
 */
export function selectDownstreamProjects(event: Pick<CellFinished, "build" | "job" | "finished">, projects: readonly DownstreamProject[]): DownstreamTarget[] {
  const { build, finished } = event;
  if (build.source !== "github" || finished.conclusion !== "success" || build.prNumber !== undefined) return [];
  const request = build.trigger.request;
  if (!request || request.upstream || build.branch === undefined) return [];
  if (build.branch !== (request.repo.defaultBranch ?? "main")) return [];
  return projects
    .filter((project) => project.after.includes(build.repo))
    .map((project) => ({ project, branch: downstreamBranch(project) }));
}

/** The first of `branches:` (a plain name: the config loader checks it), or the repository's HEAD. */
export function downstreamBranch(project: Pick<PrivateRepo, "branches">): string {
  const first = project.branches?.[0];
  return first !== undefined && isLiteralBranch(first) ? first : "HEAD";
}

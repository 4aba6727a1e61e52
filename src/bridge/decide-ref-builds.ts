import { matchBranch } from "./match-branch.js";
import { isZeroSha, type RefUpdate } from "./parse-ref-updates.js";
import type { PrivateRepo } from "./private-repo.js";

/** A ref update to build. */
export interface RefBuild {
  ref: string;
  branch: string;
  sha: string;
  /** The branch's previous head, the build's base (absent for a new branch). */
  before?: string;
}

/** A ref update left alone, and why (a phrase for the hook's one line). */
export interface IgnoredRef {
  ref: string;
  sha: string;
  reason: string;
}

/**
 * Which updated refs of a push become builds: branches the repository builds.
 * Branch deletions, tags, other refs (notes, …) and branches outside
 * `branches:` are ignored, each with its reason. Pure.
 */
export function decideRefBuilds(repo: Pick<PrivateRepo, "branches">, updates: readonly RefUpdate[]): { builds: RefBuild[]; ignored: IgnoredRef[] } {
  const builds: RefBuild[] = [];
  const ignored: IgnoredRef[] = [];
  for (const { ref, newSha, oldSha } of updates) {
    const branch = ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
    const tag = ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : undefined;
    if (tag !== undefined) {
      ignored.push({ ref, sha: newSha, reason: isZeroSha(newSha) ? `tag ${tag} deleted` : `tag ${tag} (tags are not built)` });
    } else if (branch === undefined) {
      ignored.push({ ref, sha: newSha, reason: `${ref} is not a branch` });
    } else if (isZeroSha(newSha)) {
      ignored.push({ ref, sha: newSha, reason: `branch ${branch} deleted` });
    } else if (!matchBranch(repo.branches, branch)) {
      ignored.push({ ref, sha: newSha, reason: `branch ${branch} is not built (branches: ${(repo.branches ?? []).join(", ")})` });
    } else {
      builds.push(isZeroSha(oldSha) ? { ref, branch, sha: newSha } : { ref, branch, sha: newSha, before: oldSha });
    }
  }
  return { builds, ignored };
}

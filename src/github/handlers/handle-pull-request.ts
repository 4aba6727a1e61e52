import type { HandlerDeps } from "./handler-deps.js";
import { repoRefOf } from "./repo-ref-of.js";
import { needsForkApproval } from "./needs-fork-approval.js";

export interface PullRequestPayload {
  action: string;
  number: number;
  pull_request: {
    head: { sha: string; ref: string; repo: { full_name: string } | null };
    base: { repo: { full_name: string } };
    /** OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR, FIRST_TIMER, NONE… */
    author_association?: string;
    user?: { login: string } | null;
  };
  repository: { full_name: string; clone_url: string; private: boolean; default_branch?: string };
  installation?: { id: number };
}

const BUILD_ACTIONS = new Set(["opened", "synchronize", "reopened"]);

/**
 * `pull_request` opened / synchronize / reopened: build the head commit. For
 * a fork, the commit is fetched from the base repository's refs/pull/N/head
 * and the check runs go on the base repository. A fork pull request the
 * policy (PONYCI_FORK_PR_APPROVAL) holds back is not built: it gets one
 * "Waiting for approval" check run with an "Approve and run" button instead
 * (handleApproveAndRun).
 */
export function handlePullRequest(payload: PullRequestPayload, deps: HandlerDeps, deliveryId?: string): string {
  if (!BUILD_ACTIONS.has(payload.action)) return `ignored: action ${payload.action}`;
  const pr = payload.pull_request;
  const fromFork = pr.head.repo?.full_name !== payload.repository.full_name;
  if (needsForkApproval(deps.forkPrApproval ?? "outside", { fromFork, authorAssociation: pr.author_association })) {
    const [owner = "", repo = ""] = payload.repository.full_name.split("/");
    if (!deps.approvals || !payload.installation) return "ignored: a fork pull request that needs approval, and no way to ask for it";
    deps.approvals.requestApproval({ installationId: payload.installation.id, owner, repo, sha: pr.head.sha, prNumber: payload.number }, pr.user?.login ?? "someone");
    return `waiting for approval: fork pull request by ${pr.author_association ?? "an unknown author"}`;
  }
  const submitted = deps.builds.submit({
    source: "github",
    repo: repoRefOf(payload.repository, payload.installation?.id),
    sha: pr.head.sha,
    branch: fromFork ? undefined : pr.head.ref,
    prNumber: payload.number,
    event: "pull_request",
    fetchRefs: [`refs/pull/${payload.number}/head`],
    deliveryId,
  });
  return submitted ? `build #${submitted.build.id}` : "ignored: commit already built";
}

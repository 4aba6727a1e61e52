import type { Context } from "probot";
import type { HandlerDeps } from "./handler-deps.js";
import { repoRefOf } from "./repo-ref-of.js";
import { needsForkApproval } from "../../domain/needs-fork-approval.js";

/** The `pull_request` actions that build, as the router subscribes to them. */
export const PULL_REQUEST_BUILD_EVENTS = ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"] as const;

/** GitHub's `pull_request` payload of those actions, as Probot types it. */
export type PullRequestPayload = Context<(typeof PULL_REQUEST_BUILD_EVENTS)[number]>["payload"];

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
    base: { sha: pr.base.sha, branch: pr.base.ref },
    deliveryId,
  });
  return submitted ? `build #${submitted.build.id}` : "ignored: commit already built";
}

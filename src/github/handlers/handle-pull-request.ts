import type { Context } from "probot";
import type { HandlerDeps } from "./handler-deps.js";
import { repoRefOf } from "./repo-ref-of.js";

/** The `pull_request` actions that build, as the router subscribes to them. */
export const PULL_REQUEST_BUILD_EVENTS = ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"] as const;

/** GitHub's `pull_request` payload of those actions, as Probot types it. */
export type PullRequestPayload = Context<(typeof PULL_REQUEST_BUILD_EVENTS)[number]>["payload"];

const BUILD_ACTIONS = new Set(["opened", "synchronize", "reopened"]);

/**
 * `pull_request` opened / synchronize / reopened: build the head commit. For
 * a fork, the commit is fetched from the base repository's refs/pull/N/head
 * and the check runs go on the base repository.
 */
export function handlePullRequest(payload: PullRequestPayload, deps: HandlerDeps, deliveryId?: string): string {
  if (!BUILD_ACTIONS.has(payload.action)) return `ignored: action ${payload.action}`;
  const pr = payload.pull_request;
  const fromFork = pr.head.repo?.full_name !== payload.repository.full_name;
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

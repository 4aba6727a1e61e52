import { APPROVE_ACTION, prNumberOfApproval } from "../create-fork-approvals.js";
import type { Context } from "probot";
import type { HandlerDeps } from "./handler-deps.js";
import { repoRefOf } from "./repo-ref-of.js";

/**
 * "Approve and run" on a fork pull request's approval check run
 * (`check_run.requested_action`, identifier approve-run): build the commit
 * as its pull_request event would have, when the clicking user has write
 * permission on the repository. `canApprove` is that answer, asked of
 * GitHub's API by the router before this runs (handlers do no I/O); a click
 * by anyone else starts nothing.
 */
export function handleApproveAndRun(payload: Context<"check_run.requested_action">["payload"], deps: HandlerDeps, canApprove: boolean, deliveryId?: string): string {
  if (payload.requested_action?.identifier !== APPROVE_ACTION) return `ignored: action ${payload.requested_action?.identifier ?? "none"}`;
  if (payload.check_run.app && payload.check_run.app.id !== deps.appId) return "ignored: not a check run of ours";
  const prNumber = prNumberOfApproval(payload.check_run.external_id);
  if (prNumber === undefined) return "ignored: not an approval check run";
  const who = payload.sender?.login ?? "someone";
  if (!canApprove) return `ignored: ${who} has no write permission on ${payload.repository.full_name}`;
  const installationId = payload.installation?.id;
  const [owner = "", repo = ""] = payload.repository.full_name.split("/");
  const submitted = deps.builds.submit({
    source: "github",
    repo: repoRefOf(payload.repository, installationId),
    sha: payload.check_run.head_sha,
    prNumber,
    event: "pull_request",
    fetchRefs: [`refs/pull/${prNumber}/head`],
    deliveryId,
  });
  if (installationId !== undefined) deps.approvals?.recordApproval({ installationId, owner, repo, sha: payload.check_run.head_sha, prNumber }, payload.check_run.id, who);
  return submitted ? `approved by ${who}: build #${submitted.build.id}` : `approved by ${who}: commit already built`;
}

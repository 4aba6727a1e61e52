import type { Context, Probot } from "probot";
import type { HandlerDeps } from "./handlers/handler-deps.js";
import { handlePush } from "./handlers/handle-push.js";
import { handlePullRequest, PULL_REQUEST_BUILD_EVENTS } from "./handlers/handle-pull-request.js";
import { handleCheckRunRerequested, handleCheckSuiteRerequested, handleRequestedAction } from "./handlers/handle-check-rerequests.js";
import { handleMergeGroup } from "./handlers/handle-merge-group.js";
import { handleApproveAndRun } from "./handlers/handle-approve-and-run.js";
import { mayApprove } from "../domain/needs-fork-approval.js";
import { APPROVE_ACTION } from "./create-fork-approvals.js";

/** GET /repos/{owner}/{repo}/collaborators/{username}/permission for the user who clicked. */
async function hasWritePermission(octokit: Context["octokit"], payload: Context<"check_run.requested_action">["payload"]): Promise<boolean> {
  const username = payload.sender?.login;
  if (!username) return false;
  const [owner = "", repo = ""] = payload.repository.full_name.split("/");
  const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
  return mayApprove(data);
}

/**
 * The Probot app function: routes GitHub's events to their handlers and
 * nothing else. Handlers translate an event (typed by Probot's `Context<E>`,
 * no casts) into a build request and return at once; planning, running and
 * reporting happen behind the queue. A delivery seen before (same
 * X-GitHub-Delivery, e.g. a redelivery) is ignored.
 */
export function routeWebhooks(deps: HandlerDeps) {
  return (app: Probot): void => {
    // One transaction: a delivery is marked seen only together with what it caused.
    const once = (context: Pick<Context, "id" | "name" | "log">, handle: () => string): void => {
      const outcome = deps.store.transact(`handle delivery ${context.id}`, () =>
        deps.store.recordDelivery(context.id, context.name) ? handle() : "ignored: delivery seen before",
      );
      context.log.info({ event: context.name, delivery: context.id }, outcome);
    };
    app.on("push", async (context) => once(context, () => handlePush(context.payload, deps, context.id)));
    app.on([...PULL_REQUEST_BUILD_EVENTS], async (context) => once(context, () => handlePullRequest(context.payload, deps, context.id)));
    app.on("check_run.rerequested", async (context) => once(context, () => handleCheckRunRerequested(context.payload, deps, context.id)));
    app.on("check_run.requested_action", async (context) => {
      // Approving a fork's run needs the clicker's permission, asked of GitHub before the (synchronous) handler.
      const approving = context.payload.requested_action?.identifier === APPROVE_ACTION;
      const canApprove = approving
        ? await hasWritePermission(context.octokit, context.payload).catch((error: unknown) => {
            context.log.warn({ err: error, delivery: context.id }, "could not read the clicking user's permission: not approving");
            return false;
          })
        : false;
      once(context, () => (approving ? handleApproveAndRun(context.payload, deps, canApprove, context.id) : handleRequestedAction(context.payload, deps, context.id)));
    });
    app.on(["merge_group.checks_requested", "merge_group.destroyed"], async (context) => once(context, () => handleMergeGroup(context.payload, deps, context.id)));
    app.on("check_suite.rerequested", async (context) => once(context, () => handleCheckSuiteRerequested(context.payload, deps, context.id)));
  };
}

import type { Probot } from "probot";
import type { HandlerDeps } from "./github/handlers/handler-deps.js";
import { handlePush, type PushPayload } from "./github/handlers/handle-push.js";
import { handlePullRequest, type PullRequestPayload } from "./github/handlers/handle-pull-request.js";
import {
  handleCheckRunRerequested,
  handleCheckSuiteRerequested,
  handleRequestedAction,
  type CheckRunPayload,
  type CheckSuitePayload,
} from "./github/handlers/handle-check-rerequests.js";
import { handleApproveAndRun } from "./github/handlers/handle-approve-and-run.js";
import { mayApprove } from "./github/handlers/needs-fork-approval.js";
import { APPROVE_ACTION } from "./github/create-fork-approvals.js";

/** GET /repos/{owner}/{repo}/collaborators/{username}/permission for the user who clicked. */
async function hasWritePermission(octokit: { rest: { repos: { getCollaboratorPermissionLevel(params: { owner: string; repo: string; username: string }): Promise<{ data: { permission?: string; role_name?: string } }> } } }, payload: CheckRunPayload): Promise<boolean> {
  const username = payload.sender?.login;
  if (!username) return false;
  const [owner = "", repo = ""] = payload.repository.full_name.split("/");
  const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
  return mayApprove(data);
}

/**
 * The Probot app: routes GitHub's events to their handlers and nothing else.
 * Handlers translate an event into a build request and return at once;
 * planning, running and reporting happen behind the queue. A delivery seen
 * before (same X-GitHub-Delivery, e.g. a redelivery) is ignored.
 */
export function createPonyCiApp(deps: HandlerDeps) {
  return (app: Probot): void => {
    const route = <P>(event: Parameters<Probot["on"]>[0], handle: (payload: P, deps: HandlerDeps, deliveryId?: string) => string) => {
      app.on(event, async (context) => {
        // One transaction: a delivery is marked seen only together with what it caused.
        const outcome = deps.store.transact(`handle delivery ${context.id}`, () =>
          deps.store.recordDelivery(context.id, context.name) ? handle(context.payload as P, deps, context.id) : "ignored: delivery seen before",
        );
        context.log.info({ event: context.name, delivery: context.id }, outcome);
      });
    };
    route<PushPayload>("push", handlePush);
    route<PullRequestPayload>(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"], handlePullRequest);
    route<CheckRunPayload>("check_run.rerequested", handleCheckRunRerequested);
    app.on("check_run.requested_action", async (context) => {
      const payload = context.payload as unknown as CheckRunPayload;
      // Approving a fork's run needs the clicker's permission, asked of GitHub before the (synchronous) handler.
      const approving = payload.requested_action?.identifier === APPROVE_ACTION;
      const canApprove = approving ? await hasWritePermission(context.octokit, payload).catch((error: unknown) => {
        context.log.warn({ err: error, delivery: context.id }, "could not read the clicking user's permission: not approving");
        return false;
      }) : false;
      const outcome = deps.store.transact(`handle delivery ${context.id}`, () =>
        deps.store.recordDelivery(context.id, context.name)
          ? approving ? handleApproveAndRun(payload, deps, canApprove, context.id) : handleRequestedAction(payload, deps, context.id)
          : "ignored: delivery seen before",
      );
      context.log.info({ event: context.name, delivery: context.id }, outcome);
    });
    route<CheckSuitePayload>("check_suite.rerequested", handleCheckSuiteRerequested);
  };
}

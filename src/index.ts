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
    route<CheckRunPayload>("check_run.requested_action", handleRequestedAction);
    route<CheckSuitePayload>("check_suite.rerequested", handleCheckSuiteRerequested);
  };
}

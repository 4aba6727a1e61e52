import type { Context, Probot } from "probot";
import type { HandlerDeps } from "./handlers/handler-deps.js";
import { handlePush } from "./handlers/handle-push.js";
import { handlePullRequest, PULL_REQUEST_BUILD_EVENTS } from "./handlers/handle-pull-request.js";
import { handleCheckRunRerequested, handleCheckSuiteRerequested, handleRequestedAction } from "./handlers/handle-check-rerequests.js";

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
    app.on("check_run.requested_action", async (context) => once(context, () => handleRequestedAction(context.payload, deps, context.id)));
    app.on("check_suite.rerequested", async (context) => once(context, () => handleCheckSuiteRerequested(context.payload, deps, context.id)));
  };
}

import type { Context } from "probot";

/** GitHub's `check_run` payloads of the two actions that re-run cells, as Probot types them. */
export type CheckRunPayload = Context<"check_run.rerequested" | "check_run.requested_action">["payload"];

/** GitHub's `check_suite.rerequested` payload, as Probot types it. */
export type CheckSuitePayload = Context<"check_suite.rerequested">["payload"];

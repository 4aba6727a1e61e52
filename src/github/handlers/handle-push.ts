import type { Context } from "probot";
import type { HandlerDeps } from "./handler-deps.js";
import { repoRefOf } from "./repo-ref-of.js";

const ZERO_SHA = /^0{40}$/;

/** GitHub's `push` payload, as Probot types it (@octokit/openapi-webhooks-types). */
export type PushPayload = Context<"push">["payload"];

/** `push` to a branch: build its new head. Tag pushes and branch deletions build nothing. */
export function handlePush(payload: PushPayload, deps: HandlerDeps, deliveryId?: string): string {
  if (!payload.ref.startsWith("refs/heads/")) return "ignored: not a branch";
  if (payload.deleted || ZERO_SHA.test(payload.after)) return "ignored: branch deleted";
  const branch = payload.ref.slice("refs/heads/".length);
  const before = payload.before && !ZERO_SHA.test(payload.before) ? payload.before : undefined;
  const submitted = deps.builds.submit({
    source: "github",
    repo: repoRefOf(payload.repository, payload.installation?.id),
    sha: payload.after,
    branch,
    event: "push",
    base: { sha: before, branch },
    deliveryId,
    ...(payload.head_commit ? { commit: { message: payload.head_commit.message.slice(0, 4096), author: (payload.head_commit.author.name ?? "").slice(0, 200) } } : {}),
  });
  return submitted ? `build #${submitted.build.id}` : "ignored: commit already built";
}

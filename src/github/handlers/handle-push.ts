import type { HandlerDeps } from "./handler-deps.js";
import { repoRefOf } from "./repo-ref-of.js";

const ZERO_SHA = /^0{40}$/;

export interface PushPayload {
  ref: string;
  after: string;
  /** The branch's previous head: the push's base (all zeros for a new branch). */
  before?: string;
  deleted?: boolean;
  repository: { full_name: string; clone_url: string; private: boolean; default_branch?: string };
  installation?: { id: number };
}

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
  });
  return submitted ? `build #${submitted.build.id}` : "ignored: commit already built";
}

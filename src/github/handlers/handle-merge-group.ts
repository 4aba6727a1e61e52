import type { Context } from "probot";
import type { HandlerDeps } from "./handler-deps.js";
import { repoRefOf } from "./repo-ref-of.js";

/** GitHub's `merge_group` payloads, as Probot types them. */
export type MergeGroupPayload = Context<"merge_group.checks_requested" | "merge_group.destroyed">["payload"];

const HEADS = "refs/heads/";
const branchOf = (ref: string) => (ref.startsWith(HEADS) ? ref.slice(HEADS.length) : ref);

/**
 * The merge queue (GitHub's `merge_group`). `checks_requested`: build the
 * group's head_sha, a commit on the temporary `gh-readonly-queue/<base>/…`
 * branch, fetched by that ref; its cells and its "Pony CI" go on that sha,
 * which is what the queue waits for (an App that ignores this event stalls
 * the queue until its timeout). It is judged against the queue's base
 * commit. `destroyed` with reason `dequeued` or `invalidated`: the group will
 * never merge, so its cells still queued or running are cancelled. Not on
 * `merged`: the group's head becomes the base branch's head, and its push
 * is deduplicated to this very build, whose results must stay.
 */
export function handleMergeGroup(payload: MergeGroupPayload, deps: HandlerDeps, deliveryId?: string): string {
  const group = payload.merge_group;
  if (!payload.repository) return "ignored: a merge group without a repository";
  const repo = repoRefOf(payload.repository, payload.installation?.id);
  if (payload.action === "checks_requested") {
    const submitted = deps.builds.submit({
      source: "github",
      repo,
      sha: group.head_sha,
      branch: branchOf(group.head_ref),
      event: "merge_group",
      fetchRefs: [group.head_ref],
      base: { sha: group.base_sha, branch: branchOf(group.base_ref) },
      deliveryId,
    });
    return submitted ? `merge group: build #${submitted.build.id}` : "ignored: merge group commit already built";
  }
  const reason = "reason" in payload ? payload.reason : "destroyed";
  if (reason === "merged") return "merge group merged: its results stay";
  const builds = deps.store.findBuilds({ repo: repo.name, sha: group.head_sha }).filter((b) => b.event === "merge_group");
  const open = builds.flatMap((b) => deps.store.listJobs(b.id)).filter((job) => job.state === "queued" || job.state === "running");
  if (open.length === 0) return `merge group ${reason}: nothing to cancel`;
  deps.builds.cancelJobs(open, `the merge group was ${reason}`).catch((error: unknown) => deps.log.error({ err: error }, "cancelling a destroyed merge group's cells failed"));
  return `merge group ${reason}: cancelling ${open.length} cell(s)`;
}

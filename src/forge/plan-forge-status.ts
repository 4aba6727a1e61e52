import type { Conclusion } from "../domain/events.js";
import type { ForgeConfig } from "../builds/config/forge-config.js";
import type { ForgeStatusWrite } from "./forge-status-write.js";

/** Where Pony CI's statuses stand: one per cell, and one for the whole build. */
export type StatusState = "pending" | "running" | Conclusion;

/** The context of the build's status; a cell's is `ponyci/<cell name>`. */
export const BUILD_CONTEXT = "ponyci";

/**
 * The request that sets one commit status on a forge (pure): Gitea and
 * Forgejo's `POST /repos/{owner}/{repo}/statuses/{sha}` (CreateStatusOption)
 * or GitLab's `POST /projects/{id}/statuses/{sha}`, each with its own states.
 */
export function planForgeStatus(input: { repo: string; forge: ForgeConfig; sha: string; context: string; state: StatusState; description: string; targetUrl: string; branch?: string }): ForgeStatusWrite {
  const { forge } = input;
  const description = input.description.slice(0, 140);
  if (forge.kind === "gitlab") {
    return {
      repo: input.repo,
      forge: forge.kind,
      url: `${forge.api}/projects/${encodeURIComponent(forge.project)}/statuses/${input.sha}`,
      body: { state: gitlabState(input.state), name: input.context, target_url: input.targetUrl, description, ...(input.branch ? { ref: input.branch } : {}) },
    };
  }
  const [owner = "", name = ""] = forge.project.split("/");
  return {
    repo: input.repo,
    forge: forge.kind,
    url: `${forge.api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/statuses/${input.sha}`,
    body: { state: giteaState(input.state), context: input.context, target_url: input.targetUrl, description },
  };
}

/** Gitea's CommitStatusState: pending, success, error, failure, warning. */
function giteaState(state: StatusState): string {
  switch (state) {
    case "pending":
    case "running":
      return "pending";
    case "success":
      return "success";
    case "neutral":
      return "warning";
    case "failure":
    case "timed_out":
      return "failure";
    default:
      return "error";
  }
}

/** GitLab's: pending, running, success, failed, canceled (skipped unused). */
function gitlabState(state: StatusState): string {
  switch (state) {
    case "pending":
    case "running":
    case "success":
      return state;
    case "neutral":
      return "success";
    case "cancelled":
      return "canceled";
    default:
      return "failed";
  }
}

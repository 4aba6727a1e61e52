import type { BuildRequest } from "../domain/build-request.js";
import { ownerId } from "../queue/owner-id.js";
import type { RunSource } from "./resolve-run-source.js";

/** The branch every `ponyci run` of a project is recorded on: one line of history per directory or URL. */
export const CLI_BRANCH = "ponyci-run";

/**
 * The build `ponyci run` asks for: source "cli", the project's name (its
 * directory or URL) as the repository, one branch for all its runs (so each
 * run finds the last one's results: failed-first order, timings), the flags
 * and posargs for the planner, and this process's owner id as `deliveryId`
 * (a later run cancels the cells of a run whose process is gone).
 */
export function cliBuildRequest(source: RunSource, narrow: { python?: string[]; django?: string[] }, posargs: string[] | undefined): BuildRequest {
  return {
    source: "cli",
    repo: { name: source.name, cloneUrl: source.url, visibility: "private" },
    sha: source.sha,
    branch: CLI_BRANCH,
    event: "ponyci-run",
    ...(narrow.python || narrow.django ? { narrow } : {}),
    ...(posargs ? { posargs } : {}),
    deliveryId: ownerId(),
  };
}

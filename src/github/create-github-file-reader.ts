import type { ReadRepoFiles } from "../builds/create-build-service.js";
import type { OctokitFor } from "./installation-octokit.js";

/**
 * Reads planning files of a GitHub repository at a commit through the
 * contents API (a few small GETs, no clone): queued check runs appear before
 * any checkout has started. A 404 means "no such file".
 */
export function createGitHubFileReader(octokitFor: OctokitFor): ReadRepoFiles {
  return async (request, paths) => {
    if (!request.repo.installationId) throw new Error(`${request.repo.name} has no installation: cannot read its files`);
    const octokit = await octokitFor(request.repo.installationId);
    const [owner = "", repo = ""] = request.repo.name.split("/");
    const entries = await Promise.all(
      paths.map(async (path): Promise<[string, string | undefined]> => {
        try {
          const { data } = await octokit.rest.repos.getContent({ owner, repo, path, ref: request.sha, mediaType: { format: "raw" } });
          return [path, typeof data === "string" ? data : undefined];
        } catch (error) {
          if ((error as { status?: number }).status === 404) return [path, undefined];
          throw error;
        }
      }),
    );
    return new Map(entries);
  };
}

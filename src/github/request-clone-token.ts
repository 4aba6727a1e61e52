import type { BuildRequest } from "../domain/build-request.js";
import type { OctokitFor } from "./installation-octokit.js";

/**
 * The token a runner clones a GitHub repository with: an installation token
 * for that one repository, with `contents: read` only (not the installation's
 * every repository and permission: the token sits in git's environment on a
 * host that runs untrusted code). Undefined when the clone needs none (no
 * installation, or not an https URL).
 */
export async function requestCloneToken(octokitFor: OctokitFor, request: Pick<BuildRequest, "repo">): Promise<string | undefined> {
  const { installationId, cloneUrl, name } = request.repo;
  if (!installationId || !/^https:/.test(cloneUrl)) return undefined;
  const repo = name.split("/")[1] ?? name;
  const octokit = await octokitFor(installationId);
  const auth = (await octokit.auth({ type: "installation", repositoryNames: [repo], permissions: { contents: "read" } })) as { token: string };
  return auth.token;
}

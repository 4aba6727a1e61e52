import type { RepoRef } from "../../domain/build-request.js";

interface RepositoryPayload {
  full_name: string;
  clone_url: string;
  private: boolean;
  default_branch?: string;
}

/** The build's view of a webhook's repository. */
export function repoRefOf(repository: RepositoryPayload, installationId: number | undefined): RepoRef {
  return {
    name: repository.full_name,
    cloneUrl: repository.clone_url,
    visibility: repository.private ? "private" : "public",
    installationId,
    defaultBranch: repository.default_branch,
  };
}

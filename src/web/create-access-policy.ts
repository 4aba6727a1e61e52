import type { BuildRecord, RepoSummary } from "../store/build-rows.js";
import type { Clock } from "../domain/clock.js";
import type { GitHubOAuth, RepoPermission } from "./github-oauth.js";
import type { Viewer } from "./viewer.js";
import type { WebUsers } from "./web-users.js";

type RepoOf = Pick<BuildRecord, "repo" | "source" | "visibility">;

/**
 * Who may see and act on which builds. The rules:
 * - public builds are seen by everyone;
 * - local users and admin tokens see every build;
 * - a GitHub user sees a private GitHub repository's builds when GitHub says
 *   they can read it, and the bridge's private repositories only when the
 *   users file lists their login;
 * - acting (re-run, cancel) needs role operator for local users; a GitHub
 *   user needs write access to a GitHub repository (what GitHub's own
 *   re-run button needs), or role operator in the users file for the bridge's.
 * GitHub's answers are cached per user and repository for `cacheMs`.
 */
export interface AccessPolicy {
  canSee(viewer: Viewer, build: RepoOf): Promise<boolean>;
  canAct(viewer: Viewer, build: RepoOf): Promise<boolean>;
  /** The private repositories among `repos` the viewer may see (for list queries). */
  visiblePrivateRepos(viewer: Viewer, repos: readonly RepoSummary[]): Promise<string[]>;
}

export function createAccessPolicy(options: { users: WebUsers; oauth?: GitHubOAuth; clock: Clock; cacheMs?: number }): AccessPolicy {
  const cacheMs = options.cacheMs ?? 60_000;
  const cache = new Map<string, { at: number; permission: Promise<RepoPermission> }>();

  const permission = (viewer: Extract<Viewer, { kind: "github" }>, repo: string): Promise<RepoPermission> => {
    const key = `${viewer.login}\n${repo}`;
    const hit = cache.get(key);
    if (hit && options.clock.now() - hit.at < cacheMs) return hit.permission;
    if (cache.size > 10_000) cache.clear();
    const asked = options.oauth ? options.oauth.permission(viewer.token, repo) : Promise.resolve({ pull: false, push: false });
    // A failure is not remembered: the next page asks again.
    asked.catch(() => cache.delete(key));
    cache.set(key, { at: options.clock.now(), permission: asked });
    return asked;
  };
  const listed = (viewer: Extract<Viewer, { kind: "github" }>) => options.users.github.find((g) => g.login === viewer.login.toLowerCase());

  const policy: AccessPolicy = {
    async canSee(viewer, build) {
      if (build.visibility === "public") return true;
      if (viewer.kind === "local") return true;
      if (viewer.kind !== "github") return false;
      if (build.source === "github") return (await permission(viewer, build.repo).catch(() => ({ pull: false }))).pull;
      return listed(viewer) !== undefined;
    },
    async canAct(viewer, build) {
      if (viewer.kind === "local") return viewer.role === "operator";
      if (viewer.kind !== "github") return false;
      if (build.source === "github") return (await permission(viewer, build.repo).catch(() => ({ push: false }))).push;
      return listed(viewer)?.role === "operator";
    },
    async visiblePrivateRepos(viewer, repos) {
      const hidden = repos.filter((r) => r.visibility === "private");
      const seen = await Promise.all(hidden.map(async (r) => ((await policy.canSee(viewer, r)) ? r.repo : undefined)));
      return seen.filter((r): r is string => r !== undefined);
    },
  };
  return policy;
}

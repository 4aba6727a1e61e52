/**
 * Who is looking at the dashboard. A stranger is anonymous; a local user or
 * an admin token comes from the users file (PONYCI_WEB_USERS); a GitHub user
 * signed in with OAuth carries their own token, with which GitHub is asked
 * what they may read.
 */
export type Role = "viewer" | "operator";

export type Viewer =
  | { kind: "anonymous" }
  | { kind: "local"; name: string; role: Role }
  | { kind: "github"; login: string; token: string; role?: Role };

export const ANONYMOUS: Viewer = { kind: "anonymous" };

/** "alice", "@octocat", "" for a stranger. */
export function viewerName(viewer: Viewer): string {
  if (viewer.kind === "local") return viewer.name;
  if (viewer.kind === "github") return `@${viewer.login}`;
  return "";
}

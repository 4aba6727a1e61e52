/**
 * When a pull request from a fork waits for a maintainer before its code runs
 * (PONYCI_FORK_PR_APPROVAL), as GitHub Actions asks for outside contributors:
 * - `outside` (default): forks whose author is not OWNER, MEMBER or COLLABORATOR;
 * - `all-forks`: every fork;
 * - `never`: none (only for repositories where every possible author is trusted).
 */
export type ForkPrApprovalPolicy = "outside" | "all-forks" | "never";

export const FORK_PR_APPROVAL_POLICIES: readonly ForkPrApprovalPolicy[] = ["outside", "all-forks", "never"];

/** Author associations whose fork pull requests run without approval under `outside`. */
const TRUSTED_ASSOCIATIONS: ReadonlySet<string> = new Set(["OWNER", "MEMBER", "COLLABORATOR"]);

/** Pure: true when this pull request must be approved before it is built. A missing association counts as outside. */
export function needsForkApproval(policy: ForkPrApprovalPolicy, pr: { fromFork: boolean; authorAssociation?: string | null }): boolean {
  if (!pr.fromFork || policy === "never") return false;
  if (policy === "all-forks") return true;
  return !TRUSTED_ASSOCIATIONS.has(pr.authorAssociation ?? "NONE");
}

/** Repository permissions (GET /repos/{owner}/{repo}/collaborators/{username}/permission) that may approve a run. */
export function mayApprove(permission: { permission?: string; role_name?: string }): boolean {
  return ["admin", "maintain", "write"].includes(permission.role_name ?? "") || ["admin", "write"].includes(permission.permission ?? "");
}

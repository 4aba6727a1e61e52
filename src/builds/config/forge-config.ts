/** The forges whose push webhooks the bridge accepts and whose commit statuses it sets. */
export type ForgeKind = "gitea" | "forgejo" | "gitlab";

export const FORGE_KINDS: readonly ForgeKind[] = ["gitea", "forgejo", "gitlab"];

/**
 * `forge:` of a private repository's entry (docs/bridge.md): where its
 * statuses go. Without `token` the forge's webhooks are accepted but no
 * status is set.
 */
export interface ForgeConfig {
  kind: ForgeKind;
  /** The API's base URL: https://git.example.com/api/v1 (Gitea, Forgejo) or https://gitlab.example.com/api/v4. */
  api: string;
  /** "owner/repo" on Gitea and Forgejo; the project's path ("group/project") or numeric id on GitLab. */
  project: string;
  /** Access token with the right to set commit statuses. Never logged. */
  token?: string;
}

import type { ForgeKind } from "../builds/config/forge-config.js";

/** The forges' outbox lane: its own dispatcher, so neither GitHub nor mail waits for a slow forge. */
export const FORGE_KEY_PREFIX = "forge:";

/** Whom the forge statuses' lane writes to, as its logs say (`OutboxOptions.target`). */
export const FORGE_TARGET = "the forge (Gitea, Forgejo or GitLab)";

/**
 * One commit status to set, keyed `forge:<buildId>:<context>` so a context's
 * pending always goes before its result. The token is not stored: the sender
 * takes it from the operator's file by `repo`.
 */
export interface ForgeStatusWrite {
  repo: string;
  forge: ForgeKind;
  /** The status endpoint, e.g. https://git.example.com/api/v1/repos/o/r/statuses/<sha>. */
  url: string;
  /** The request body in the forge's own words (CreateStatusOption; GitLab's postApiV4ProjectsIdStatusesSha). */
  body: Record<string, unknown>;
}

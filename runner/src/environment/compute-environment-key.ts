import { createHash } from "node:crypto";

/**
 * Bump when the way environments are built changes (install script, venv
 * layout, store layout): every cached environment is then rebuilt once.
 */
export const ENVIRONMENT_BUILDER_VERSION = "4"; // 2: requirements re-serialised strictly; sdists built hardened, their wheels per repository. 3: installs run as uid 10001 owning only the venv (no root-built image is reused). 4: environments are store directories, not images

export interface EnvironmentKeyInput {
  baseImageId: string;
  python: string;
  /** Resolved, "4.2.16". */
  django: string;
  requirements: string[];
  constraints: string[];
  /**
   * Requirement files read, with their text. The builder passes none since
   * the planner expands includes into `requirements` (their lines carry the
   * change); the empty list stays in the hash so keys of checkouts without
   * requirement files are the same as before.
   */
  files?: { path: string; content: string }[];
  /** Separates key spaces (tests; forcing rebuilds after an incident). */
  salt?: string;
}

/** sha256 (hex) over everything that decides an environment's content. */
export function computeEnvironmentKey(input: EnvironmentKeyInput): string {
  const canonical = {
    builder: ENVIRONMENT_BUILDER_VERSION,
    salt: input.salt ?? "",
    baseImageId: input.baseImageId,
    python: input.python,
    django: input.django,
    requirements: [...new Set(input.requirements)].sort(),
    constraints: [...new Set(input.constraints)].sort(),
    files: [...(input.files ?? [])]
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((f) => [f.path, createHash("sha256").update(f.content).digest("hex")]),
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}

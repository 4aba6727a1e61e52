import type { ServiceName } from "./database.js";
import type { ProjectMetadataSpec } from "./job-spec.js";

/** What a cell needs installed: the runner asks for it before starting tests. */
export interface EnvironmentRequest {
  /** "3.11": must match the base image's Python. */
  python: string;
  /** "4.2" → newest 4.2.x on PyPI (cached for a day); "5.2.3" → exactly that. */
  django: string;
  /**
   * What to install besides Django, as the planner decided it: PEP 508
   * requirement lines, re-serialised (JobSpec.environment.requirements). The
   * builder checks each again and refuses anything else.
   */
  requirements: string[];
  /** Constraint specs (`-c` files), the same form. */
  constraints?: string[];
  /** Where the requirements came from, for the build log. */
  sources?: string[];
  /** What the planner's detection skipped, passed back in `Environment.notes`. */
  notes?: string[];
  /** The cell's database service: its driver is added unless the requirements name one (runner/src/services/add-database-driver.ts). */
  database?: ServiceName;
  /**
   * Which repository this is for (its clone URL, say): wheels built from
   * source distributions for it are cached under this scope only, never in
   * the cache every repository shares. Default: one scope for everything
   * unscoped (single-repository use: the CLI, tests).
   */
  cacheScope?: string;
  /**
   * The project's dependencies and extras come from its build backend
   * (JobSpec.environment.projectMetadata): read from the checkout at `dir`
   * by prepareProjectMetadata, cached by `sourceKey`, and added to
   * `requirements` before the environment's key is computed.
   */
  project?: ProjectMetadataRequest;
}

/** What the runner passes for JobSpec.environment.projectMetadata (the planner's ProjectMetadataSpec), with the checkout. */
export interface ProjectMetadataRequest extends ProjectMetadataSpec {
  /** The checkout on the host (mounted read-only into the build container). */
  dir: string;
  /** The source's content key (its commit). */
  sourceKey: string;
}

/**
 * A ready environment: run the test container from `image` (the base image)
 * with `venvDir` mounted read-only at VENV_PATH and `containerEnv` set.
 */
export interface Environment {
  /** The base image the test container runs ("ponyci/python:3.11"). */
  image: string;
  /** Host directory of the virtualenv (`<cache>/store/envs/<key>/venv`), mounted read-only at VENV_PATH. */
  venvDir: string;
  /** PATH (the venv first) and VIRTUAL_ENV for the test container. */
  containerEnv: Record<string, string>;
  /** sha256 (hex) of everything that went into the environment. */
  key: string;
  /** True when this call built it; false when it was already there. */
  built: boolean;
  /** The Django version installed, "4.2.16". */
  django: string;
  /** The virtualenv's packages, "name==version", sorted. */
  packages: string[];
  /** What the planner's detection skipped (editable installs, options…), for the cell log. */
  notes: string[];
}

/** Where the virtualenv is mounted in test containers (and built, on the pip path). */
export const VENV_PATH = "/opt/venv";

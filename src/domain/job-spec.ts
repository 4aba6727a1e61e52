/**
 * The complete description of one cell job: what the planner (src/builds)
 * decides and the runner (runner/) executes without deciding anything about
 * the project. Plain JSON (it is stored with the job and may travel to a
 * runner on another host).
 */
import type { Cell } from "./cell.js";

/** What the cell's environment image holds. */
export interface EnvironmentSpec {
  /** "3.11": must match a base image's Python (same as `cell.python`). */
  python: string;
  /** "4.2" → newest 4.2.x on PyPI; "5.2.3" → exactly that (same as `cell.django`). */
  django: string;
  /**
   * pip requirement lines to install besides Django: specs ("factory-boy>=3")
   * and "-r path" entries relative to the repository root. Django lines in
   * here are dropped (the cell's Django wins).
   */
  requirements: string[];
  /**
   * Transitional, until the planner detects requirements itself: true when the
   * runner should add what it detects in the checkout (requirements files,
   * package metadata) to `requirements`; false when `requirements` is exactly
   * what to install (the repository config's `install:` was given).
   */
  detectRequirements: boolean;
}

export interface JobSpec {
  cell: Cell;
  environment: EnvironmentSpec;
  /** Environment variables for the test run (repository config `env:`). */
  env: Record<string, string>;
  /** Shell command that runs the tests (repository config `test:`); undefined: the harness detects Django's runner or pytest. */
  command?: string;
  /** Run only these test ids (a re-run of failed tests). */
  onlyTests?: string[];
  /** Wall-clock limit of the test run in seconds; undefined: the runner's default. */
  timeoutSec?: number;
}

/**
 * A job spec with the defaults of a repository without settings: detected
 * requirements, no extra variables, the harness's own test command.
 */
export function createJobSpec(cell: Cell, parts: Partial<Omit<JobSpec, "cell">> = {}): JobSpec {
  return {
    cell,
    environment: { python: cell.python, django: cell.django, requirements: [], detectRequirements: true },
    env: {},
    ...parts,
  };
}

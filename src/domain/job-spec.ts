/**
 * The complete description of one cell job: what the planner (src/builds)
 * decides and the runner (runner/) executes without deciding anything about
 * the project. Plain JSON (it is stored with the job and may travel to a
 * runner on another host).
 */
import type { Cell } from "./cell.js";
import type { ServiceName, ServiceSpec } from "./database.js";

/** What the cell's environment holds. */
export interface EnvironmentSpec {
  /** "3.11": must match a base image's Python (same as `cell.python`). */
  python: string;
  /** "4.2" → newest 4.2.x on PyPI; "5.2.3" → exactly that (same as `cell.django`). */
  django: string;
  /**
   * Everything to install besides Django, decided by the planner
   * (src/builds/detect-test-requirements.ts): PEP 508 requirement lines,
   * strictly parsed and re-serialised ("factory-boy>=3"), `-r` includes
   * already expanded, never Django, never a pip option. The runner installs
   * exactly these.
   */
  requirements: string[];
  /** Specs of `-c` constraint files, the same form; absent: none. */
  constraints?: string[];
  /** Where the requirements came from, for the cell log ("requirements.txt", "pyproject.toml extra [test]"). */
  sources?: string[];
  /** What detection skipped and why (editable installs, includes outside the repository), for the cell log. */
  requirementNotes?: string[];
  /**
   * The cell runs on this database service: unless the requirements already
   * name a driver for it, the runner adds one (psycopg[binary] for
   * postgres, PyMySQL for mariadb, see runner/src/services/add-database-driver.ts).
   */
  database?: ServiceName;
  /**
   * The project's dependencies and extras are not static (setup.py, or
   * `dynamic` in pyproject.toml): the runner reads them from the project's
   * PEP 517 build backend in a build container once the checkout is there
   * (runner/src/environment/project-metadata/) and adds them to
   * `requirements`. Planning never runs repository code and has no checkout.
   */
  projectMetadata?: ProjectMetadataSpec;
}

/** See EnvironmentSpec.projectMetadata. */
export interface ProjectMetadataSpec {
  /** Extras the cell installs (tox `extras`, `.[x]` in deps): one the project does not provide is noted. */
  extras: string[];
  /** Extras installed only when the project provides them (detection's test extras). */
  optionalExtras?: string[];
  /** pyproject.toml `[build-system]`, requirements re-serialised; absent: PEP 517's setuptools fallback. */
  buildSystem?: { requires?: string[]; backend?: string; backendPath?: string[] };
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
  /**
   * Arguments the harness appends to the Django or pytest command it
   * detects (`ponyci run -- ARGS`, tox's {posargs}); the planner already put
   * them in `commands` and `command` when those are set. Data: never read by a shell.
   */
  posargs?: string[];
  /** Wall-clock limit of the test run in seconds; undefined: the runner's default. */
  timeoutSec?: number;
  /** Database services started beside the tests, sharing their network namespace (at most one today: the cell's database). */
  services?: ServiceSpec[];
  /**
   * The commands of the repository's tox env for this cell, run in order
   * instead of `command` and the harness's detection; undefined: use those.
   */
  commands?: CommandPlan;
  /** tox `ignore_outcome`: a failing cell is reported `neutral`, not `failure`. */
  ignoreOutcome?: boolean;
  /** What the planner could not honour for this cell, one sentence each (shown in the cell's summary). */
  notes?: string[];
}

/**
 * Directories a command may name that only the container knows, written
 * `{name}` in argv, `env` values and `cwd`; the harness fills them in:
 * toxinidir = the repository root, envpython = the environment's
 * interpreter, envbindir = its bin directory, envdir = its prefix,
 * envsitepackagesdir = its site-packages, envtmpdir / envlogdir / toxworkdir /
 * temp_dir = writable scratch directories.
 */
export type PlaceholderName =
  | "toxinidir" | "envpython" | "envbindir" | "envdir" | "envtmpdir" | "envlogdir" | "envsitepackagesdir" | "toxworkdir" | "temp_dir";

/** One command, run without a shell. */
export interface CommandStep {
  argv: string[];
  /** tox's `-` prefix: a non-zero exit does not fail the run. */
  ignoreExitCode?: boolean;
  /** tox's `!` prefix: the command must fail. */
  invertExitCode?: boolean;
}

/**
 * tox 4's run order: `pre` (a failure skips `main`), `main` (stops at the
 * first failure unless `ignoreErrors`), then `post` always. The run fails
 * with the first failing command's exit code.
 */
export interface CommandPlan {
  pre: CommandStep[];
  main: CommandStep[];
  post: CommandStep[];
  /** Directory the commands run in, relative to the repository root ("" = the root). */
  cwd: string;
  /** Variables for the commands (tox `set_env`), over the job's `env`; values may hold placeholders. */
  env: Record<string, string>;
  ignoreErrors: boolean;
  /** Where they came from, for the log: "tox env py311-django42 (tox.ini)". */
  source: string;
}

/**
 * A job spec with the defaults of a repository without settings: nothing
 * to install besides Django, no extra variables, the harness's own test command.
 */
export function createJobSpec(cell: Cell, parts: Partial<Omit<JobSpec, "cell">> = {}): JobSpec {
  return {
    cell,
    environment: { python: cell.python, django: cell.django, requirements: [] },
    env: {},
    ...parts,
  };
}

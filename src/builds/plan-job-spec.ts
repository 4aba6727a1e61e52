import { join as shlexJoin } from "shlex";
import { usesService, type Cell } from "../domain/cell.js";
import type { EnvironmentSpec, JobSpec } from "../domain/job-spec.js";
import { RequirementsError } from "../domain/requirements-error.js";
import { RepoConfigError } from "./config/repo-config-error.js";
import { detectTestRequirements, TEST_EXTRAS, type DetectedRequirements } from "./detect-test-requirements.js";
import { projectMetadataSpec } from "./project-metadata-spec.js";
import type { MatrixPlan } from "./plan-matrix.js";
import { toxDefaultSetenv } from "./tox/resolve-tox-env.js";
import { workflowEnvFor } from "./matrix/services-from-workflows.js";

/**
 * The job spec of one planned cell: the one place that turns a repository's
 * settings and tox configuration into what a runner executes. Pure.
 * - commands: the config's `test:` when given; else the commands of the
 *   cell's tox env (pre, main, post, set_env, change_dir); else none (the
 *   harness detects Django's runner or pytest); `posargs` (ponyci run's
 *   `-- ARGS`) go where tox puts them, or at the end of the command;
 * - requirements: the complete list, decided here (detectTestRequirements over
 *   the repository's files): the config's `install:`, exactly (it replaces
 *   detection and tox deps alike, as docs/repo-config.md says), or else the
 *   tox deps and extras of the cell plus what the checkout's requirement
 *   files and package metadata name (not with tox's skip_install: then only
 *   deps, as tox does); `-r` includes expanded, every line re-serialised;
 * - ignoreOutcome and notes: from the tox env;
 * - timeout: the config's `timeout:` only when the repository has a config
 *   file, else the runner's default;
 * - services: the cell's database service (version and server arguments
 *   from the config), and the environment asks for its driver;
 * - env: the config's `env:` over tox's set_env (when its commands are not
 *   run) over the variables of the GitHub Actions job that starts the cell's
 *   database (none for a cell without a database service).
 * @throws RepoConfigError naming the file and line of a requirement Pony CI
 *   will not install (a pip option, URL, path, malformed line).
 */
export function planJobSpec(plan: Pick<MatrixPlan, "config" | "depsFor" | "toxFor"> & Partial<Pick<MatrixPlan, "services" | "readFile" | "workflowEnv" | "workflowEnvByService">>, cell: Cell, options: { onlyTests?: string[]; posargs?: readonly string[] } = {}): JobSpec {
  const { config } = plan;
  const tox = plan.toxFor?.(cell);
  const toxDeps = tox ? tox.requirements : plan.depsFor(cell) ?? [];
  const notes = [...(tox?.notes ?? [])];
  const useToxCommands = tox?.commands !== undefined && config.test === undefined;
  if (tox?.commands && config.test !== undefined) notes.push(`${config.file ?? "The repository config"} sets \`test:\`: the commands of tox env ${tox.envName} are not run`);
  // Without tox commands, the env's own set_env still applies to the detected
  // command, minus tox's defaults and values only the container can fill in.
  const defaults = tox ? toxDefaultSetenv(tox.envName) : {};
  const setenv = tox && !useToxCommands ? Object.fromEntries(Object.entries(tox.env).filter(([k, v]) => !v.includes("{") && defaults[k] !== v)) : {};
  // The cell's database service (planMatrix checked it is provided; a config-less default otherwise).
  const service = usesService(cell) ? (plan.services?.find((s) => s.name === cell.database) ?? { name: cell.database, args: [] }) : undefined;
  const detect = config.install === undefined && (tox?.detectRequirements ?? true);
  const detected = decideRequirements(plan.readFile ?? (() => undefined), config.file ?? ".github/ponyci.yml", {
    install: config.install ?? (detect ? undefined : toxDeps),
    extraDeps: detect && toxDeps.length > 0 ? toxDeps : undefined,
  });
  // tox-uv's lock runner: uv.lock's versions constrain the resolution (re-serialised when read).
  if (tox?.constraints?.length && config.install === undefined) detected.constraints = [...new Set([...detected.constraints, ...tox.constraints])].sort();
  // Dependencies and extras only the build backend knows: read by the runner, from the checkout (see project-metadata-spec.ts).
  const projectMetadata = detect ? projectMetadataSpec(plan.readFile ?? (() => undefined), { extras: tox?.extras ?? [], optionalExtras: TEST_EXTRAS }) : undefined;
  const spec: JobSpec = {
    cell,
    environment: { ...environmentSpecFor(cell, detected), ...(service ? { database: service.name } : {}), ...(projectMetadata ? { projectMetadata } : {}) },
    env: { ...(plan.workflowEnvByService ? workflowEnvFor({ envByService: plan.workflowEnvByService }, cell.database) : plan.workflowEnv), ...setenv, ...config.env },
    // `ponyci run -- ARGS`, as tox's {posargs}: the tox commands have them already (planMatrix's option);
    // a `test:` shell command gets them quoted at its end (the container's shell, never the host's).
    command: config.test !== undefined && options.posargs?.length ? `${config.test} ${shlexJoin([...options.posargs])}` : config.test,
    onlyTests: options.onlyTests,
    timeoutSec: config.file ? config.timeout : undefined,
  };
  if (service) spec.services = [service];
  if (useToxCommands) spec.commands = tox?.commands;
  // The harness's own Django/pytest command: it appends them.
  else if (config.test === undefined && options.posargs?.length) spec.posargs = [...options.posargs];
  if (tox?.ignoreOutcome) spec.ignoreOutcome = true;
  if (notes.length > 0) spec.notes = notes;
  return spec;
}

/** A cell's environment spec from what requirement detection found (the empty lists left out). */
export function environmentSpecFor(cell: Pick<Cell, "python" | "django">, detected: Pick<DetectedRequirements, "requirements" | "constraints" | "sources" | "notes">): EnvironmentSpec {
  return {
    python: cell.python,
    django: cell.django,
    requirements: detected.requirements,
    ...(detected.constraints.length ? { constraints: detected.constraints } : {}),
    ...(detected.sources.length ? { sources: detected.sources } : {}),
    ...(detected.notes.length ? { requirementNotes: detected.notes } : {}),
  };
}

/** detectTestRequirements, its errors as the config errors they are (file and line kept). */
function decideRequirements(readFile: (path: string) => string | undefined, configFile: string, options: { install?: string[]; extraDeps?: string[] }): DetectedRequirements {
  try {
    return detectTestRequirements({ readFile, ...options });
  } catch (error) {
    if (!(error instanceof RequirementsError)) throw error;
    const file = ["config install", "tox deps"].includes(error.file) ? error.file === "tox deps" ? "tox.ini" : configFile : error.file;
    throw new RepoConfigError({ file, line: error.line, message: error.message, cause: error });
  }
}

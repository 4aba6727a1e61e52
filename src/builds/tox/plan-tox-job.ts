import { cellName, type Cell } from "../../domain/cell.js";
import { toxPythonFactor } from "../../domain/python-name.js";
import type { CommandPlan, CommandStep } from "../../domain/job-spec.js";
import { findIniSection } from "../matrix/parse-ini.js";
import { matrixFromTox } from "../matrix/matrix-from-tox.js";
import type { ReadRepoFile } from "../matrix/read-repo-file.js";
import { readToxConfig } from "../matrix/read-tox-config.js";
import { pickToxEnv } from "./pick-tox-env.js";
import { readPackageExtras } from "./read-package-extras.js";
import { hasDynamicMetadata } from "../project-metadata-spec.js";
import { readDependencyGroups } from "./read-dependency-groups.js";
import { readUvLock } from "./read-uv-lock.js";
import { resolveToxEnv } from "./resolve-tox-env.js";
import type { DjangoSupportTable } from "../versions/django-support.js";

/** Longest command plan (as JSON) a job spec carries. */
const MAX_PLAN_CHARS = 64 * 1024;

/** A deps line installing the project itself: `.`, `-e .`, `.[test,db]`. */
const LOCAL_PROJECT = /^(?:-e\s*)?\.\/?(?:\[([^\]]*)\])?$/;

/** What a cell's tox env adds to its job spec. */
export interface ToxJobParts {
  /** The env run, e.g. "py311-django42". */
  envName: string;
  /** Undefined when the env has no commands: the harness then detects the test command. */
  commands?: CommandPlan;
  /** set_env (minus what the repository config sets), PYTHONPATH extended; values may hold placeholders. */
  env: Record<string, string>;
  /** deps and extras' requirements, Django left out. */
  requirements: string[];
  /** tox-uv's `uv-venv-lock-runner`: the versions of uv.lock, as constraints (read-uv-lock.ts). */
  constraints?: string[];
  /** The extras the env installs (`extras`, `.[x]` in deps), normalised as written. */
  extras: string[];
  /** False with skip_install: tox installs only `deps`, and so does Pony CI. */
  detectRequirements: boolean;
  ignoreOutcome: boolean;
  notes: string[];
}

/** Options for {@link planToxJob}. */
export interface PlanToxJobOptions {
  /** Variables the container has: what `{env:X}` sees besides set_env. */
  environ?: Readonly<Record<string, string>>;
  /** Python versions this installation has (envs naming only Django). */
  availablePython?: readonly string[];
  /** Django's support table; default: the shipped snapshot. */
  djangoSupport?: DjangoSupportTable;
  /** Variables the repository config sets itself: they win over set_env. */
  configEnv?: Readonly<Record<string, string>>;
  /** tox's positional arguments (after `--`), for {posargs}; undefined: none given. */
  posargs?: readonly string[];
}

/**
 * The tox env a cell runs and what it means for the job: commands, set_env,
 * change_dir, deps, extras, skip_install, ignore_outcome, with every part
 * that cannot be honoured named in `notes`. The env is the envlist's own
 * for the cell, else the nearest one (said in a note), else `[testenv]`
 * under the cell's name (`py313-django52`). tox installs the project
 * (unless skip_install); Pony CI puts the checkout (and `src/`) at the end
 * of PYTHONPATH instead, so a change_dir away from the root still imports
 * it. Undefined without tox configuration or a testenv for the cell. Pure.
 */
export function planToxJob(readFile: ReadRepoFile, cell: Pick<Cell, "python" | "django" | "database">, options: PlanToxJobOptions = {}): ToxJobParts | undefined {
  const tox = readToxConfig(readFile);
  if (!tox) return undefined;
  const notes: string[] = [];
  const envs = matrixFromTox(readFile, { availablePython: options.availablePython, djangoSupport: options.djangoSupport })?.envs ?? [];
  const picked = pickToxEnv(envs, cell);
  let name: string;
  if (picked) {
    name = picked.name;
    if (!picked.exact) notes.push(`The tox envlist has no env for ${cellName({ ...cell })}: running tox env ${name}, the nearest match`);
  } else {
    if (!findIniSection(tox.sections, "testenv")) return undefined;
    name = `${toxPythonFactor(cell.python)}-django${cell.django.replace(".", "")}`;
    notes.push(`No tox env names a Django release: running [testenv] as ${name}`);
  }
  const env = resolveToxEnv(tox, name, { environ: { ...options.environ, ...options.configEnv }, posargs: options.posargs });
  notes.push(...env.notes.map((note) => `tox env ${name}: ${note}`));

  // `-e .` / `.[test]` in deps installs the project (and its extras), as the
  // package install would: common with skip_install.
  const projectLines = env.deps.map((line) => LOCAL_PROJECT.exec(line)).filter((m): m is RegExpExecArray => m !== null);
  const installsProject = !env.skipInstall || projectLines.length > 0;
  const extrasWanted = [...(env.skipInstall ? [] : env.extras), ...projectLines.flatMap((m) => (m[1] ?? "").split(",").map((x) => x.trim()).filter(Boolean))];
  const requirements = env.deps.filter((line) => !LOCAL_PROJECT.test(line));
  if (extrasWanted.length > 0) {
    const extras = readPackageExtras(readFile, extrasWanted);
    for (const line of extras.requirements) if (!requirements.includes(line)) requirements.push(line);
    // A setup.py or dynamic metadata: the runner asks the build backend for them (projectMetadataSpec).
    if (extras.missing.length > 0 && !hasDynamicMetadata(readFile)) {
      notes.push(`tox env ${name}: extras ${extras.missing.join(", ")} are not declared in pyproject.toml or setup.cfg: not installed`);
    }
  }

  // PEP 735 groups (tox `dependency_groups`), installed with or without the project, as tox does.
  if (env.dependencyGroups.length > 0) {
    const groups = readDependencyGroups(readFile, env.dependencyGroups);
    for (const line of groups.requirements) if (!requirements.includes(line)) requirements.push(line);
    if (groups.missing.length > 0) notes.push(`tox env ${name}: dependency groups ${groups.missing.join(", ")} are not in pyproject.toml [dependency-groups]: not installed`);
  }
  // tox-uv: uv-venv-runner installs like tox's own runner; uv-venv-lock-runner installs the lock.
  let constraints: string[] | undefined;
  if (env.runner === "uv-venv-lock-runner") {
    const lock = readUvLock(readFile);
    if (lock) {
      constraints = lock.constraints;
      notes.push(...lock.notes.map((note) => `tox env ${name}: ${note}`));
    } else {
      notes.push(`tox env ${name} uses uv-venv-lock-runner, but the repository has no uv.lock: its requirements are resolved afresh`);
    }
  } else if (env.runner !== "" && env.runner !== "uv-venv-runner" && env.runner !== "virtualenv") {
    notes.push(`tox env ${name}: runner ${env.runner} is not known to Pony CI: installed as tox's virtualenv runner would`);
  }

  const configEnv = options.configEnv ?? {};
  const commandEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env.setenv)) if (configEnv[key] === undefined) commandEnv[key] = value;
  if (installsProject && configEnv.PYTHONPATH === undefined) {
    commandEnv.PYTHONPATH = [commandEnv.PYTHONPATH, "{toxinidir}", "{toxinidir}/src"].filter(Boolean).join(":");
  }

  // `pip install …` steps (upgrading pip, installing the project): the environment is built
  // offline beforehand and is read-only in the container, so they are left out.
  const withoutInstalls = (steps: CommandStep[], section: string) =>
    steps.filter((step) => {
      if (!isPipInstall(step.argv)) return true;
      notes.push(`tox env ${name}: ${section} \`${step.argv.join(" ").slice(0, 120)}\` skipped: Pony CI installs the environment before the commands run`);
      return false;
    });
  let commands: CommandPlan | undefined = {
    pre: withoutInstalls(env.commandsPre, "commands_pre"),
    main: withoutInstalls(env.commands, "commands"),
    post: withoutInstalls(env.commandsPost, "commands_post"),
    cwd: env.changedir,
    env: commandEnv,
    ignoreErrors: env.ignoreErrors,
    source: `tox env ${name} (${tox.file})`,
  };
  if (env.commands.length === 0) {
    notes.push(`tox env ${name} has no commands: Pony CI detects the test command itself`);
    commands = undefined;
  } else if (JSON.stringify(commands).length > MAX_PLAN_CHARS) {
    // The plan travels in one environment variable (Linux: at most 128 KiB each).
    notes.push(`tox env ${name}: its commands and set_env are longer than ${MAX_PLAN_CHARS / 1024} KiB: not run; Pony CI detects the test command itself`);
    commands = undefined;
  }
  return {
    envName: name,
    commands,
    env: commandEnv,
    requirements,
    extras: [...new Set(extrasWanted)],
    ...(constraints ? { constraints } : {}),
    detectRequirements: installsProject,
    ignoreOutcome: env.ignoreOutcome,
    notes,
  };
}

/** `pip install …`, `python -m pip install …`, `{envpython} -m pip install …`, `uv pip install …`. */
function isPipInstall(argv: readonly string[]): boolean {
  const words = argv.map((word) => word.split("/").at(-1) ?? word);
  let i = 0;
  if (/^(?:\{envpython\}|python[0-9.]*)$/.test(words[0] ?? "") && words[1] === "-m") i = 2;
  else if (words[0] === "uv") i = 0;
  if (words[i] === "uv") i++;
  return /^pip[0-9.]*$/.test(words[i] ?? "") && words[i + 1] === "install";
}

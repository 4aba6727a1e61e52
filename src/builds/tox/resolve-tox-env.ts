import { posix } from "node:path";
import { join as shlexJoin, split as shlexSplit } from "shlex";
import type { CommandStep, PlaceholderName } from "../../domain/job-spec.js";
import { findIniSection, type IniEntry, type IniSection } from "../matrix/parse-ini.js";
import { MAX_EXPANDED_CHARS, spendExpansion, type ToxConfig } from "../matrix/read-tox-config.js";
import { isDjangoRequirement } from "../matrix/resolve-tox-deps.js";
import { activeToxFactors, filterToxFactors } from "./filter-tox-factors.js";
import { substituteToxValue } from "./substitute-tox-value.js";
import { listToxEnvSections, splitList } from "./tox-env-sections.js";

/** One tox env as Pony CI runs it (tox 4 semantics), with what it could not honour. */
export interface ResolvedToxEnv {
  name: string;
  commandsPre: CommandStep[];
  commands: CommandStep[];
  commandsPost: CommandStep[];
  /** `set_env` plus tox's own defaults; values may hold container placeholders ({toxinidir}…). */
  setenv: Record<string, string>;
  /** `pass_env` names: host variables, never passed into the container. */
  passenv: string[];
  /** Directory the commands run in, relative to the repository root ("" = the root). */
  changedir: string;
  /** pip requirement lines of `deps`, relative to the repository root, Django left out. */
  deps: string[];
  extras: string[];
  /** tox 4.22+ `dependency_groups`: PEP 735 groups of pyproject.toml to install. */
  dependencyGroups: string[];
  /** `runner` (tox-uv: "uv-venv-runner", "uv-venv-lock-runner"); "" when not set. */
  runner: string;
  /** True when tox would not install the project (`skip_install`, `package = skip`). */
  skipInstall: boolean;
  ignoreOutcome: boolean;
  ignoreErrors: boolean;
  /** What cannot be honoured, one sentence each. */
  notes: string[];
}

/** Options for {@link resolveToxEnv}. */
export interface ResolveToxEnvOptions {
  /**
   * Variables the container has (CI, the repository config's `env:`): what
   * `{env:X}` sees besides `set_env`. The host's environment is never read.
   */
  environ?: Readonly<Record<string, string>>;
  /**
   * tox's positional arguments (`tox -e X -- ARGS`, `ponyci run -- ARGS`):
   * `{posargs}` and `{posargs:default}` become them, shell-quoted (tox's
   * `shell_cmd`), so the command's split gives each back as one argument;
   * an empty list gives "" (not the default), as tox does. Undefined: none
   * given, `{posargs:default}` gives its default.
   */
  posargs?: readonly string[];
}

/**
 * tox's own `set_env` defaults (tox 4 `tox_env/api.py`, `tox_env/python/api.py`),
 * as `tox config` shows them; PYTHONHASHSEED is left out (tox picks a random
 * one, as Python itself does by default).
 */
export function toxDefaultSetenv(name: string): Record<string, string> {
  return {
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
    PIP_USER: "0",
    PYTHONIOENCODING: "utf-8",
    TOX_ENV_DIR: "{envdir}",
    TOX_ENV_NAME: name,
    TOX_WORK_DIR: "{toxworkdir}",
    VIRTUAL_ENV: "{envdir}",
  };
}

/** tox 4 names (and their tox 3 aliases) that become a container placeholder. */
const PLACEHOLDERS: Readonly<Record<string, PlaceholderName>> = {
  toxinidir: "toxinidir", tox_root: "toxinidir",
  envpython: "envpython", env_python: "envpython",
  envbindir: "envbindir", env_bin_dir: "envbindir",
  envdir: "envdir", env_dir: "envdir",
  envtmpdir: "envtmpdir", env_tmp_dir: "envtmpdir",
  envlogdir: "envlogdir", env_log_dir: "envlogdir",
  envsitepackagesdir: "envsitepackagesdir", env_site_packages_dir: "envsitepackagesdir",
  toxworkdir: "toxworkdir", work_dir: "toxworkdir",
  temp_dir: "temp_dir",
};


/** Settings whose effect Pony CI reproduces, or that change nothing inside a container. */
const UNDERSTOOD = new Set([
  "commands", "commands_pre", "commands_post", "set_env", "setenv", "pass_env", "passenv", "change_dir", "changedir",
  "deps", "extras", "skip_install", "use_develop", "usedevelop", "package", "ignore_outcome", "ignore_errors", "base",
  "description", "allowlist_externals", "whitelist_externals", "basepython", "base_python", "recreate", "labels",
  "depends", "parallel_show_output", "skip_missing_interpreters", "envdir", "env_dir", "package_env", "wheel_build_env",
  "download", "sitepackages", "system_site_packages", "suicide_timeout", "interrupt_timeout", "terminate_timeout",
  "args_are_paths", "fail_fast", "constrain_package_deps", "use_frozen_constraints", "uv_seed", "runner", "dependency_groups",
]);

/**
 * Read tox env `name` the way tox 4 does (reference: tox.wiki "Configuration"):
 * 1. settings from `[testenv:<name>]`, then its `base` sections (default `[testenv]`);
 *    a value whose every line is for other factors falls through to the next section;
 * 2. per value: comments stripped, factor conditions applied for the env's
 *    factors, `\` continuations joined, `{[section]key}` references expanded
 *    (processed for this env), then `{posargs}` (options.posargs, quoted; none given: empty, `{posargs:x}` gives x),
 *    `{env:X}`/`{env:X:default}` (from `set_env`, then `options.environ`),
 *    `{envname}`, `{/}`, `{:}`, `{tty:on:off}` substituted; directories
 *    (`{toxinidir}`, `{envpython}`, `{envbindir}`…) become container
 *    placeholders the harness fills in;
 * 3. commands split like shlex (posix), a `-` prefix ignores the exit code,
 *    `!` inverts it.
 * Anything else (`file|` set_env lines, unknown substitutions, host
 * `pass_env` names, settings with no meaning here) is named in `notes`.
 * Pure.
 */
export function resolveToxEnv(tox: ToxConfig, name: string, options: ResolveToxEnvOptions = {}): ResolvedToxEnv {
  const chain = listToxEnvSections(tox, name);
  const factors = activeToxFactors(name);
  const notes = new Set<string>();
  const environ = options.environ ?? {};
  const posargs = options.posargs ? shlexJoin([...options.posargs]) : undefined;
  const setenvRaw = new Map<string, string>();
  const resolvingEnv = new Set<string>();
  // References can multiply text (a key naming another key ten times, eight
  // levels deep): the expansion of untrusted text is bounded in total, for the whole config (spendExpansion).

  /** Comments, factors, continuations: tox's `process_raw`. Undefined when nothing applies to this env. */
  const processRaw = (entry: IniEntry): string | undefined => {
    const raw = entry.lines.map((l) => l.text.replace(/\s*(?<!\\)#.*$/, "").replace(/\\#/g, "#")).join("\n");
    const filtered = filterToxFactors(raw, factors);
    if (filtered.trim() === "" && raw.trim() !== "") return undefined;
    return filtered.replace(/\\\n/g, "");
  };

  const expandReferences = (text: string, depth: number): string =>
    substituteToxValue(
      text,
      (expr) => {
        const ref = /^\[([^\]]+)\](.+)$/.exec(expr);
        if (!ref) return undefined;
        const section = findIniSection(tox.sections, (ref[1] ?? "").trim());
        const entry = section?.entries.get((ref[2] ?? "").trim().toLowerCase());
        const processed = entry ? processRaw(entry) : undefined;
        if (processed === undefined || depth > 8) {
          notes.add(`tox reference {${expr}} could not be resolved: left as it is`);
          return undefined;
        }
        const expanded = spendExpansion(tox, processed.length) ? expandReferences(processed, depth + 1) : undefined;
        if (expanded === undefined || !spendExpansion(tox, expanded.length)) {
          notes.add(`tox references expand to more than ${MAX_EXPANDED_CHARS} characters: {${expr}} left as it is`);
          return undefined;
        }
        return expanded;
      },
      { keepEscapes: true },
    );

  /** A setting's text for this env, references expanded; undefined when no section sets it. */
  const read = (keys: readonly string[]): { text: string; entry: IniEntry; section: IniSection } | undefined => {
    for (const section of chain) {
      for (const key of keys) {
        const entry = section.entries.get(key);
        if (!entry) continue;
        const processed = processRaw(entry);
        if (processed === undefined) continue;
        return { text: expandReferences(processed, 0), entry, section };
      }
    }
    return undefined;
  };

  const substitute = (text: string, where: string): string =>
    substituteToxValue(text, (expr) => {
      if (expr === "posargs" || expr === "[]" || expr.startsWith("posargs:")) {
        if (posargs !== undefined) return posargs;
        return expr.startsWith("posargs:") ? expr.slice("posargs:".length) : "";
      }
      if (expr === "envname" || expr === "env_name") return name;
      if (expr === "/") return "/";
      if (expr === ":") return ":";
      const tty = /^tty:([^:]*)(?::(.*))?$/.exec(expr);
      if (tty) return tty[2] ?? "";
      const env = /^env:([^:]+)(?::([\s\S]*))?$/.exec(expr);
      if (env) return lookupEnv(env[1] ?? "", env[2]);
      const placeholder = PLACEHOLDERS[expr];
      if (placeholder) return `{${placeholder}}`;
      notes.add(`tox substitution {${expr}} in ${where} is not supported: left as it is`);
      return undefined;
    });

  const lookupEnv = (key: string, fallback: string | undefined): string => {
    const own = setenvRaw.get(key);
    if (own !== undefined && !resolvingEnv.has(key)) {
      resolvingEnv.add(key);
      try {
        return substitute(own, "set_env");
      } finally {
        resolvingEnv.delete(key);
      }
    }
    if (environ[key] !== undefined) return environ[key];
    return fallback ?? "";
  };

  // set_env first: {env:X} elsewhere reads it.
  const setenvText = read(["set_env", "setenv"])?.text ?? "";
  for (const line of setenvText.split("\n").map((l) => l.trim())) {
    if (line === "") continue;
    if (line.startsWith("file|")) {
      notes.add(`set_env ${line} (variables from a file) is not supported: not set`);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) {
      notes.add(`set_env line "${line}" has no NAME=value: ignored`);
      continue;
    }
    setenvRaw.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const setenv: Record<string, string> = toxDefaultSetenv(name);
  for (const key of setenvRaw.keys()) setenv[key] = lookupEnv(key, undefined);

  const readCommands = (keys: readonly string[]): CommandStep[] => {
    const found = read(keys);
    if (!found) return [];
    return substitute(found.text, keys[0] ?? "commands")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "")
      .flatMap((line): CommandStep[] => {
        const argv = splitCommand(line);
        if (argv.length === 0) return [];
        if (argv[0]?.startsWith("-")) {
          const rest = argv[0] === "-" ? argv.slice(1) : [argv[0].slice(1), ...argv.slice(1)];
          return rest.length > 0 ? [{ argv: rest, ignoreExitCode: true }] : [];
        }
        if (argv[0] === "!") return argv.length > 1 ? [{ argv: argv.slice(1), invertExitCode: true }] : [];
        return [{ argv }];
      });
  };

  const readBool = (keys: readonly string[]): boolean => /^true$/i.test(substitute(read(keys)?.text ?? "", keys[0] ?? "").trim());

  const passenv = splitList(read(["pass_env", "passenv"])?.text ?? "").flatMap((item) => item.split(/\s+/)).filter(Boolean);
  const changedir = resolveChangedir(read(["change_dir", "changedir"]), substitute, notes);
  const deps = readDeps(read(["deps"])?.text ?? "", substitute, notes);
  const extras = splitList(substitute(read(["extras"])?.text ?? "", "extras"));
  const dependencyGroups = splitList(substitute(read(["dependency_groups"])?.text ?? "", "dependency_groups"));
  const runner = substitute(read(["runner"])?.text ?? "", "runner").trim();
  const packageKind = substitute(read(["package"])?.text ?? "", "package").trim();
  const skipInstall = readBool(["skip_install"]) || packageKind === "skip";

  for (const section of chain) {
    for (const key of section.entries.keys()) {
      if (!UNDERSTOOD.has(key)) notes.add(`tox setting ${key} (in [${section.name}]) is not honoured by Pony CI`);
    }
  }
  if (passenv.length > 0) {
    notes.add(`pass_env ${passenv.join(", ")}: the host's variables are never passed into the test container`);
  }

  return {
    name,
    commandsPre: readCommands(["commands_pre"]),
    commands: readCommands(["commands"]),
    commandsPost: readCommands(["commands_post"]),
    setenv,
    passenv,
    changedir,
    deps,
    extras,
    dependencyGroups,
    runner,
    skipInstall,
    ignoreOutcome: readBool(["ignore_outcome"]),
    ignoreErrors: readBool(["ignore_errors"]),
    notes: [...notes],
  };
}

/** Split a command line as tox 4 does (`shlex.shlex(posix=True)`, whitespace split, no comments). */
function splitCommand(line: string): string[] {
  try {
    return shlexSplit(line);
  } catch {
    // tox keeps the unparsable rest as one argument (an unclosed quote).
    const parts = line.split(/\s+/);
    return parts.filter(Boolean);
  }
}

function resolveChangedir(
  found: { text: string } | undefined,
  substitute: (text: string, where: string) => string,
  notes: Set<string>,
): string {
  if (!found) return "";
  const value = substitute(found.text, "change_dir").trim();
  const relative = value === "{toxinidir}" ? "." : value.startsWith("{toxinidir}/") ? value.slice("{toxinidir}/".length) : value;
  const normal = posix.normalize(relative === "" ? "." : relative);
  if (posix.isAbsolute(normal) || normal.startsWith("..") || normal.includes("{")) {
    notes.add(`change_dir ${value} is outside the repository: the commands run at the repository root`);
    return "";
  }
  return normal === "." ? "" : normal.replace(/\/$/, "");
}

function readDeps(text: string, substitute: (text: string, where: string) => string, notes: Set<string>): string[] {
  const deps: string[] = [];
  for (const rawLine of text.split("\n")) {
    let line = substitute(rawLine.trim(), "deps").trim();
    if (line === "") continue;
    line = line.replace(/\{toxinidir\}\//g, "").replace(/\{toxinidir\}/g, ".").replace(/^-([rc])\s*/, "-$1 ");
    if (/\{[^}]*\}/.test(line)) {
      notes.add(`deps line "${rawLine.trim()}" names a directory of tox's own: not installed`);
      continue;
    }
    if (isDjangoRequirement(line) || deps.includes(line)) continue;
    deps.push(line);
  }
  return deps;
}

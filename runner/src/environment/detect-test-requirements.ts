import { posix } from "node:path";
import { logicalLines, normalizeName, parseRequirementLine } from "./parse-requirement-line.js";
import { readSetupCfg } from "./read-setup-cfg.js";
import { readTomlStringArrays } from "./read-toml-string-arrays.js";

/**
 * Runtime requirements, read first: the tests import the project, so what it
 * needs at run time must be installed too.
 */
export const RUNTIME_REQUIREMENT_FILES = ["requirements.txt"];
/**
 * Test requirements, most specific first; only the FIRST that exists is used
 * (projects keep one, and the others are usually older copies or `-r` it).
 * `requirements-dev.txt` is the fallback when none exists: it is a superset
 * (linters, docs tools) but it is what such projects install to run tests.
 */
export const TEST_REQUIREMENT_FILES = [
  "requirements/test.txt",
  "requirements/testing.txt",
  "requirements-test.txt",
  "requirements_test.txt",
  "test-requirements.txt",
];
export const DEV_REQUIREMENT_FILE = "requirements-dev.txt";
/** Extras (and PEP 735 dependency groups) that hold test dependencies. */
export const TEST_EXTRAS = ["test", "tests", "testing"];
/** How deep `-r` / `-c` includes are followed. */
export const MAX_INCLUDE_DEPTH = 5;

export interface DetectedRequirements {
  /** Normalised requirement specs, deduplicated and sorted; never Django. */
  requirements: string[];
  /** Specs from `-c` constraint files, normalised, deduplicated and sorted. */
  constraints: string[];
  /** Every requirement/constraint file read, path relative to the repository, with its text. */
  files: { path: string; content: string }[];
  /** Where the requirements came from, for the cell log ("requirements-test.txt", "pyproject.toml [test]"). */
  sources: string[];
  /** What was skipped and why. */
  notes: string[];
}

export interface DetectTestRequirementsOptions {
  /** Reads a file by repository-relative POSIX path; undefined when it does not exist. */
  readFile: (path: string) => string | undefined;
  /** The repository config's `install`: replaces detection entirely. */
  install?: string[];
  /** Specs added to whatever was detected (tox factor deps…). */
  extraDeps?: string[];
}

/**
 * Decide what to install besides Django for a checkout. With `install`, exactly
 * those entries (and the files they `-r`). Otherwise the union of
 * `requirements.txt`, the first test requirements file (else
 * `requirements-dev.txt`), and the package metadata: pyproject.toml
 * `[project] dependencies` + the test/tests/testing extras and dependency groups,
 * setup.cfg `install_requires` + the same extras. Django lines are dropped (the
 * cell's version wins); editable, VCS, URL and local-path lines are dropped
 * with a note, since the install runs offline. Pure: all reading goes through
 * `readFile`.
 */
export function detectTestRequirements(options: DetectTestRequirementsOptions): DetectedRequirements {
  const requirements = new Set<string>();
  const constraints = new Set<string>();
  const files = new Map<string, string>();
  const sources: string[] = [];
  const notes: string[] = [];

  const addLine = (line: string, from: string, depth: number, into: Set<string>) => {
    const parsed = parseRequirementLine(line);
    switch (parsed.type) {
      case "requirement":
        into.add(parsed.spec);
        return;
      case "include":
      case "constraint":
        readRequirementFile(resolveInclude(from, parsed.path), depth + 1, parsed.type === "constraint" ? constraints : into, from);
        return;
      case "skip":
        notes.push(`${from || "config"}: ${parsed.note}`);
        return;
      case "empty":
        return;
    }
  };

  const readRequirementFile = (path: string | undefined, depth: number, into: Set<string>, from: string, optional = false): boolean => {
    if (path === undefined) {
      notes.push(`${from}: skipped an include outside the repository`);
      return false;
    }
    if (depth > MAX_INCLUDE_DEPTH) {
      notes.push(`${from}: -r ${path} skipped: includes nest deeper than ${MAX_INCLUDE_DEPTH}`);
      return false;
    }
    if (files.has(path)) return true; // already read (or a cycle)
    const content = options.readFile(path);
    if (content === undefined) {
      if (!optional) notes.push(`${from || "config"}: included file ${path} does not exist`);
      return false;
    }
    files.set(path, content);
    for (const line of logicalLines(content)) addLine(line, path, depth, into);
    return true;
  };

  if (options.install) {
    sources.push("config install");
    for (const entry of options.install) addLine(entry, "", -1, requirements);
  } else {
    for (const path of RUNTIME_REQUIREMENT_FILES) if (readRequirementFile(path, 0, requirements, "", true)) sources.push(path);
    const test = [...TEST_REQUIREMENT_FILES, DEV_REQUIREMENT_FILE].find((path) => options.readFile(path) !== undefined);
    if (test && readRequirementFile(test, 0, requirements, "", true)) sources.push(test);
    for (const [source, specs] of readPackageMetadata(options.readFile)) {
      sources.push(source);
      for (const spec of specs) addLine(spec, source, MAX_INCLUDE_DEPTH, requirements);
    }
  }
  if (options.extraDeps?.length) {
    sources.push("extra deps");
    for (const spec of options.extraDeps) addLine(spec, "extra deps", MAX_INCLUDE_DEPTH, requirements);
  }
  return {
    requirements: [...requirements].sort(),
    constraints: [...constraints].sort(),
    files: [...files].map(([path, content]) => ({ path, content })).sort((a, b) => a.path.localeCompare(b.path)),
    sources,
    notes,
  };
}

/** `-r other.txt` inside `dir/file.txt` → "dir/other.txt"; undefined when it leaves the repository. */
function resolveInclude(from: string, path: string): string | undefined {
  if (posix.isAbsolute(path) || /^[A-Za-z]:/.test(path)) return undefined;
  const joined = posix.normalize(posix.join(from ? posix.dirname(from) : ".", path));
  if (joined === ".." || joined.startsWith("../")) return undefined;
  return joined;
}

/** Dependency lists from pyproject.toml and setup.cfg, labelled by where they came from. */
function readPackageMetadata(readFile: (path: string) => string | undefined): [string, string[]][] {
  const found: [string, string[]][] = [];
  const pyproject = readFile("pyproject.toml");
  if (pyproject !== undefined) {
    const toml = readTomlStringArrays(pyproject);
    const deps = toml.get("project.dependencies");
    if (deps?.strings.length) found.push(["pyproject.toml [project] dependencies", deps.strings]);
    for (const extra of TEST_EXTRAS) {
      const specs = toml.get(`project.optional-dependencies.${extra}`);
      if (specs?.strings.length) found.push([`pyproject.toml extra [${extra}]`, expandSelfExtras(specs.strings, toml, readProjectName(pyproject))]);
      const group = toml.get(`dependency-groups.${extra}`);
      if (group) found.push([`pyproject.toml dependency group ${extra}`, expandGroup(extra, toml, 0)]);
    }
  }
  const setupCfg = readFile("setup.cfg");
  if (setupCfg !== undefined) {
    const cfg = readSetupCfg(setupCfg);
    const deps = cfg.get("options.install_requires");
    if (deps?.length) found.push(["setup.cfg install_requires", deps]);
    for (const extra of TEST_EXTRAS) {
      const specs = cfg.get(`options.extras_require.${extra}`);
      if (specs?.length) found.push([`setup.cfg extra [${extra}]`, specs]);
    }
  }
  return found;
}

/**
 * `myproject[docs]` inside an extra of myproject itself → that extra's specs
 * (the project is not on the index, and its own dependencies are already in).
 */
function expandSelfExtras(specs: string[], toml: ReturnType<typeof readTomlStringArrays>, projectName: string | undefined, depth = 0): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const m = /^\s*([A-Za-z0-9._-]+)\s*\[([^\]]*)\]\s*$/.exec(spec);
    if (!projectName || !m || !m[1] || normalizeName(m[1]) !== projectName) {
      out.push(spec);
      continue;
    }
    if (depth >= MAX_INCLUDE_DEPTH) continue;
    for (const extra of (m[2] ?? "").split(",")) {
      const inner = toml.get(`project.optional-dependencies.${extra.trim()}`);
      if (inner) out.push(...expandSelfExtras(inner.strings, toml, projectName, depth + 1));
    }
  }
  return out;
}

/** `[project] name = "…"`, normalised. */
function readProjectName(pyproject: string): string | undefined {
  const table = /^\s*\[project\]\s*$([\s\S]*?)(?=^\s*\[|$(?![\s\S]))/m.exec(pyproject);
  const m = table && table[1] ? /^\s*name\s*=\s*["']([^"']+)["']/m.exec(table[1]) : null;
  return m && m[1] ? normalizeName(m[1]) : undefined;
}

/** PEP 735: a group's strings plus those of the groups it includes. */
function expandGroup(group: string, toml: ReturnType<typeof readTomlStringArrays>, depth: number): string[] {
  const value = toml.get(`dependency-groups.${group}`);
  if (!value || depth > MAX_INCLUDE_DEPTH) return [];
  const out = [...value.strings];
  for (const table of value.tables) {
    const m = /include-group\s*=\s*["']([^"']+)["']/.exec(table);
    if (m && m[1]) out.push(...expandGroup(m[1], toml, depth + 1));
  }
  return out;
}

import { posix } from "node:path";
import { logicalLines, normalizeName, parseRequirementLine } from "../domain/parse-requirement-line.js";
import { readPyproject, type PyprojectDocument } from "../domain/read-pyproject.js";
import { readSetupCfg } from "../domain/read-setup-cfg.js";
import { RequirementsError } from "../domain/requirements-error.js";

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
/** Every requirement file detection may read before any include: what planning fetches up front. */
export const REQUIREMENT_FILES = [...RUNTIME_REQUIREMENT_FILES, ...TEST_REQUIREMENT_FILES, DEV_REQUIREMENT_FILE];
/** Extras (and PEP 735 dependency groups) that hold test dependencies. */
export const TEST_EXTRAS = ["test", "tests", "testing"];
/** How deep `-r` / `-c` includes are followed. */
export const MAX_INCLUDE_DEPTH = 5;
/** Most requirement files read for one checkout, and most requirements kept: a checkout is untrusted. */
export const MAX_REQUIREMENT_FILES = 50;
export const MAX_REQUIREMENTS = 2000;

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
 * cell's version wins), and so is `-e .` (the checkout is on the test path).
 * Every other line must be a PEP 508 requirement (name, extras, versions,
 * marker): it is parsed strictly and kept only in its re-serialised form, so
 * nothing of the repository's spelling reaches pip. Pure: all reading goes
 * through `readFile`. Runs on the host at planning time (planJobSpec), over
 * the files planning read; the runner never calls it.
 * @throws RequirementsError naming the file and line of the first pip
 *   option, URL, path, control character or malformed requirement.
 */
export function detectTestRequirements(options: DetectTestRequirementsOptions): DetectedRequirements {
  const requirements = new Set<string>();
  const constraints = new Set<string>();
  const files = new Map<string, string>();
  const sources: string[] = [];
  const notes: string[] = [];

  /** `label` names the source in notes ("setup.cfg install_requires"); `file` and `line` locate errors. */
  const addLine = (text: string, where: { file: string; line?: number; label?: string }, depth: number, into: Set<string>) => {
    const parsed = parseRequirementLine(text);
    switch (parsed.type) {
      case "requirement":
        if (into.size >= MAX_REQUIREMENTS) throw new RequirementsError(where, `more than ${MAX_REQUIREMENTS} requirements`);
        into.add(parsed.spec);
        return;
      case "include":
      case "constraint":
        readRequirementFile(resolveInclude(where.file === "config install" ? "" : where.file, parsed.path), depth + 1, parsed.type === "constraint" ? constraints : into, where.file);
        return;
      case "skip":
        notes.push(`${where.label ?? where.file}: ${parsed.note}`);
        return;
      case "invalid":
        throw new RequirementsError(where, `${parsed.reason}. Pony CI installs only released wheels from the operator's index: write one requirement per line as name[extras]<specifiers>; marker.`);
      case "empty":
        return;
    }
  };

  const readRequirementFile = (path: string | undefined, depth: number, into: Set<string>, from: string, optional = false): boolean => {
    if (path === undefined) {
      notes.push(`${from || "config"}: skipped an include outside the repository`);
      return false;
    }
    if (depth > MAX_INCLUDE_DEPTH) {
      notes.push(`${from || "config"}: -r ${path} skipped: includes nest deeper than ${MAX_INCLUDE_DEPTH}`);
      return false;
    }
    if (files.has(path)) return true; // already read (or a cycle)
    if (files.size >= MAX_REQUIREMENT_FILES) throw new RequirementsError({ file: from || "config" }, `more than ${MAX_REQUIREMENT_FILES} requirement files are included`);
    const content = options.readFile(path);
    if (content === undefined) {
      if (!optional) notes.push(`${from}: included file ${path} does not exist`);
      return false;
    }
    files.set(path, content);
    for (const line of logicalLines(content)) {
      if (line.invalid) throw new RequirementsError({ file: path, line: line.line }, line.invalid);
      addLine(line.text, { file: path, line: line.line }, depth, into);
    }
    return true;
  };

  if (options.install) {
    sources.push("config install");
    for (const [i, entry] of options.install.entries()) addLine(entry, { file: "config install", line: i + 1 }, -1, requirements);
  } else {
    for (const path of RUNTIME_REQUIREMENT_FILES) if (readRequirementFile(path, 0, requirements, "", true)) sources.push(path);
    const test = [...TEST_REQUIREMENT_FILES, DEV_REQUIREMENT_FILE].find((path) => options.readFile(path) !== undefined);
    if (test && readRequirementFile(test, 0, requirements, "", true)) sources.push(test);
    for (const found of readPackageMetadata(options.readFile)) {
      sources.push(found.source);
      for (const spec of found.specs) addLine(spec.text, { file: found.file, line: spec.line, label: found.source }, MAX_INCLUDE_DEPTH, requirements);
    }
  }
  if (options.extraDeps?.length) {
    sources.push("extra deps");
    for (const [i, spec] of options.extraDeps.entries()) addLine(spec, { file: "tox deps", line: i + 1, label: "extra deps" }, MAX_INCLUDE_DEPTH, requirements);
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

type Spec = { text: string; line?: number };

/** Dependency lists from pyproject.toml and setup.cfg, labelled by where they came from. */
function readPackageMetadata(readFile: (path: string) => string | undefined): { source: string; file: string; specs: Spec[] }[] {
  const found: { source: string; file: string; specs: Spec[] }[] = [];
  const pyproject = readFile("pyproject.toml");
  if (pyproject !== undefined) {
    const file = "pyproject.toml";
    const toml = readPyproject(pyproject, file);
    const name = toml.string(["project", "name"]);
    const projectName = name ? normalizeName(name) : undefined;
    const deps = toml.array(["project", "dependencies"]);
    if (deps?.strings.length) found.push({ source: "pyproject.toml [project] dependencies", file, specs: deps.strings });
    for (const extra of TEST_EXTRAS) {
      const specs = toml.array(["project", "optional-dependencies", extra]);
      if (specs?.strings.length) found.push({ source: `pyproject.toml extra [${extra}]`, file, specs: expandSelfExtras(specs.strings, toml, projectName) });
      const group = toml.array(["dependency-groups", extra]);
      if (group) found.push({ source: `pyproject.toml dependency group ${extra}`, file, specs: expandGroup(extra, toml, 0) });
    }
  }
  const setupCfg = readFile("setup.cfg");
  if (setupCfg !== undefined) {
    const cfg = readSetupCfg(setupCfg);
    const deps = cfg.get("options.install_requires");
    if (deps?.length) found.push({ source: "setup.cfg install_requires", file: "setup.cfg", specs: deps });
    for (const extra of TEST_EXTRAS) {
      const specs = cfg.get(`options.extras_require.${extra}`);
      if (specs?.length) found.push({ source: `setup.cfg extra [${extra}]`, file: "setup.cfg", specs });
    }
  }
  return found;
}

/**
 * `myproject[docs]` inside an extra of myproject itself → that extra's specs
 * (the project is not on the index, and its own dependencies are already in).
 */
function expandSelfExtras(specs: Spec[], toml: PyprojectDocument, projectName: string | undefined, depth = 0): Spec[] {
  const out: Spec[] = [];
  for (const spec of specs) {
    const m = /^\s*([A-Za-z0-9._-]+)\s*\[([^\]]*)\]\s*$/.exec(spec.text);
    if (!projectName || !m || !m[1] || normalizeName(m[1]) !== projectName) {
      out.push(spec);
      continue;
    }
    if (depth >= MAX_INCLUDE_DEPTH) continue;
    for (const extra of (m[2] ?? "").split(",")) {
      const inner = toml.array(["project", "optional-dependencies", extra.trim()]);
      if (inner) out.push(...expandSelfExtras(inner.strings, toml, projectName, depth + 1));
    }
  }
  return out;
}

/** PEP 735: a group's strings plus those of the groups it includes. */
function expandGroup(group: string, toml: PyprojectDocument, depth: number): Spec[] {
  const value = toml.array(["dependency-groups", group]);
  if (!value || depth > MAX_INCLUDE_DEPTH) return [];
  const out = [...value.strings];
  for (const table of value.tables) {
    const include = table["include-group"];
    if (typeof include === "string") out.push(...expandGroup(include, toml, depth + 1));
  }
  return out;
}

import type { Cell } from "../../domain/cell.js";
import { compareVersions } from "../../domain/compare-versions.js";
import { findIniSection, parseIni } from "./parse-ini.js";
import { readPyproject } from "./read-pyproject.js";
import type { ReadRepoFile } from "./read-repo-file.js";

/** The matrix a package's trove classifiers describe. */
export interface ClassifierMatrix {
  /** pyproject.toml or setup.cfg. */
  file: string;
  /** Line of the classifiers setting. */
  line: number;
  python: string[];
  django: string[];
  /** Python × Django cross product, Python outermost; not yet filtered for support or images. Empty unless both axes are named. */
  cells: Cell[];
  notes: string[];
}

/**
 * Read `Programming Language :: Python :: 3.11` and `Framework :: Django :: 5.2`
 * classifiers from pyproject.toml (`[project] classifiers`) or, failing that,
 * setup.cfg (`[metadata] classifiers`), and cross them.
 * Undefined when neither file names a Python or Django version.
 */
export function matrixFromClassifiers(readFile: ReadRepoFile): ClassifierMatrix | undefined {
  for (const found of [fromPyproject(readFile), fromSetupCfg(readFile)]) {
    if (!found) continue;
    const python = collect(found.classifiers, /^Programming Language\s*::\s*Python\s*::\s*(3\.\d+)$/);
    const django = collect(found.classifiers, /^Framework\s*::\s*Django\s*::\s*(\d+\.\d+)$/);
    if (python.length === 0 && django.length === 0) continue;
    const notes: string[] = [];
    if (python.length === 0) notes.push(`${found.file} classifiers name Django versions but no "Programming Language :: Python :: 3.x" version: not used`);
    if (django.length === 0) notes.push(`${found.file} classifiers name Python versions but no "Framework :: Django :: X.Y" version: not used`);
    const cells = python.flatMap((p) => django.map((d) => ({ python: p, django: d })));
    return { file: found.file, line: found.line, python, django, cells, notes };
  }
  return undefined;
}

function fromPyproject(readFile: ReadRepoFile): { file: string; line: number; classifiers: string[] } | undefined {
  const text = readFile("pyproject.toml");
  const entry = text === undefined ? undefined : readPyproject(text).strings(["project", "classifiers"]);
  if (!entry) return undefined;
  return { file: "pyproject.toml", line: entry.line, classifiers: entry.value };
}

function fromSetupCfg(readFile: ReadRepoFile): { file: string; line: number; classifiers: string[] } | undefined {
  const text = readFile("setup.cfg");
  const entry = text === undefined ? undefined : findIniSection(parseIni(text), "metadata")?.entries.get("classifiers");
  if (!entry) return undefined;
  return { file: "setup.cfg", line: entry.line, classifiers: entry.lines.map((l) => l.text).filter((t) => t !== "") };
}

function collect(classifiers: readonly string[], pattern: RegExp): string[] {
  const versions = classifiers.map((c) => pattern.exec(c.trim())?.[1]).filter((v): v is string => v !== undefined);
  return [...new Set(versions)].sort(compareVersions);
}

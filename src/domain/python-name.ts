import { compareVersions } from "./compare-versions.js";

/**
 * A cell's Python as cells, job specs and runners' lists write it: "3.12"
 * (CPython 3.12) or "pypy3.11" (PyPy implementing Python 3.11), the names
 * tox and uv give them. A plain string, so the planner, the wire and the
 * store carry PyPy cells as they carry CPython ones.
 */
export interface PythonName {
  implementation: "cpython" | "pypy";
  /** The Python language version, "3.X". */
  version: string;
}

const NAME = /^(pypy)?(3\.\d{1,2})$/;

/** "3.12" → CPython 3.12, "pypy3.11" → PyPy 3.11; undefined for anything else. */
export function parsePythonName(name: string): PythonName | undefined {
  const m = NAME.exec(name);
  if (!m || !m[2]) return undefined;
  return { implementation: m[1] ? "pypy" : "cpython", version: m[2] };
}

/** The name of an implementation's version: ("pypy", "3.11") → "pypy3.11". */
export function formatPythonName(implementation: PythonName["implementation"], version: string): string {
  return implementation === "pypy" ? `pypy${version}` : version;
}

/** The language version a name implements ("pypy3.11" → "3.11"), what Requires-Python and classifiers speak of; the name itself when not understood. */
export function pythonLanguageVersion(name: string): string {
  return parsePythonName(name)?.version ?? name;
}

/** True for a PyPy name. */
export function isPyPy(name: string): boolean {
  return parsePythonName(name)?.implementation === "pypy";
}

/** For people: "Python 3.12", "PyPy 3.11". */
export function pythonTitle(name: string): string {
  return isPyPy(name) ? `PyPy ${pythonLanguageVersion(name)}` : `Python ${name}`;
}

/** tox's factor for it: "3.12" → "py312", "pypy3.11" → "pypy311". */
export function toxPythonFactor(name: string): string {
  return `${isPyPy(name) ? "pypy" : "py"}${pythonLanguageVersion(name).replace(".", "")}`;
}

/** Sort order of names: CPython first, then PyPy, each by version. */
export function comparePythonNames(a: string, b: string): number {
  return Number(isPyPy(a)) - Number(isPyPy(b)) || compareVersions(pythonLanguageVersion(a), pythonLanguageVersion(b));
}

import { cellKey, type Cell } from "../../domain/cell.js";
import type { DatabaseName } from "../../domain/database.js";
import { comparePythonNames, formatPythonName, isPyPy, pythonLanguageVersion } from "../../domain/python-name.js";
import { listSupportedPython, shippedDjangoSupport, type DjangoSupportTable } from "../versions/django-support.js";
import { expandToxEnvlist } from "./expand-tox-envlist.js";
import { ANY_PYPY, parseToxFactor } from "./parse-tox-factor.js";
import type { ReadRepoFile } from "./read-repo-file.js";
import { readToxConfig, readToxValue } from "./read-tox-config.js";
import { resolveToxDeps } from "./resolve-tox-deps.js";

/** One env of the envlist and what Pony CI makes of it. */
export interface ToxEnvCell {
  name: string;
  /** Undefined when the name gives no Django release (lint, docs, djmain…). */
  cell: Cell | undefined;
  /** Its test dependencies with factor conditions resolved, Django left out. */
  deps: string[];
}

/** The matrix a tox envlist describes. */
export interface ToxMatrix {
  file: string;
  /** Line of the envlist setting. */
  line: number;
  envs: ToxEnvCell[];
  /** One cell per distinct Python × Django (× database) combination, in envlist order; not yet filtered for support or images. */
  cells: Cell[];
  notes: string[];
}

/** Options for {@link matrixFromTox}. */
export interface MatrixFromToxOptions {
  /** Python versions this installation has; picks the Python of an env that names only Django. */
  availablePython?: readonly string[];
  /** Django's support table; default: the shipped snapshot. */
  djangoSupport?: DjangoSupportTable;
}

/**
 * Read the Python × Django cells of the repository's tox envlist (tox.ini
 * `[tox]`, setup.cfg `[tox:tox]` or pyproject.toml `legacy_tox_ini`), with
 * brace expansion and factor names such as py311, py3.11, django42, dj42;
 * database factors (sqlite3, postgresql, mysql…) give the cell's database.
 * An env naming only a Django release runs on the newest available Python
 * that release supports; envs naming no Django release (lint, docs, djmain)
 * and factors with no meaning to the matrix are ignored, with a note.
 * Undefined when there is no tox configuration or it has no envlist.
 */
export function matrixFromTox(readFile: ReadRepoFile, options: MatrixFromToxOptions = {}): ToxMatrix | undefined {
  const tox = readToxConfig(readFile);
  const setting = tox?.core?.entries.get("env_list") ?? tox?.core?.entries.get("envlist");
  if (!tox || !setting) return undefined;
  const table = options.djangoSupport ?? shippedDjangoSupport();
  const available = options.availablePython ? [...options.availablePython].sort(comparePythonNames) : undefined;
  const withoutDjango: string[] = [];
  const ignoredFactors = new Set<string>();
  const notes: string[] = [];
  const envs = expandToxEnvlist(readToxValue(setting)).map((name): ToxEnvCell => {
    let python: string | undefined;
    let django: string | undefined;
    let database: DatabaseName | undefined;
    const others: string[] = [];
    for (const factor of name.split("-")) {
      const meaning = parseToxFactor(factor);
      if (meaning.kind === "python") python ??= meaning.version;
      else if (meaning.kind === "django") django ??= meaning.version;
      else if (meaning.kind === "database") database ??= meaning.database;
      else others.push(factor);
    }
    if (django === undefined) {
      withoutDjango.push(name);
      return { name, cell: undefined, deps: [] };
    }
    if (python === undefined) {
      // CPython only: PyPy is planned when an env asks for it.
      const supported = listSupportedPython(table, django);
      python = (available ?? supported).filter((v) => supported.includes(v)).at(-1) ?? supported.at(-1);
      if (python === undefined) {
        withoutDjango.push(name);
        return { name, cell: undefined, deps: [] };
      }
      notes.push(`tox env ${name} names no Python version: using Python ${python}`);
    } else if (python === ANY_PYPY) {
      // `pypy3`: the newest PyPy the installation has that the Django release supports (else the newest it supports, left out as missing).
      const supported = listSupportedPython(table, django);
      const pypys = (available ?? []).filter((v) => isPyPy(v) && supported.includes(pythonLanguageVersion(v)));
      python = pypys.at(-1) ?? (supported.length > 0 ? formatPythonName("pypy", supported.at(-1) as string) : undefined);
      if (python === undefined) {
        withoutDjango.push(name);
        return { name, cell: undefined, deps: [] };
      }
      notes.push(`tox env ${name} names PyPy with no version: using PyPy ${pythonLanguageVersion(python)}`);
    }
    others.forEach((factor) => ignoredFactors.add(factor));
    const cell: Cell = database === undefined ? { python, django } : { python, django, database };
    return { name, cell, deps: resolveToxDeps(tox, { name, cell }) };
  });
  if (withoutDjango.length > 0) {
    const what = withoutDjango.length === 1 ? "env" : "envs";
    notes.push(`tox ${what} ${listSome(withoutDjango)} name${what === "env" ? "s" : ""} no Django release: not used`);
  }
  if (ignoredFactors.size > 0) {
    notes.push(`tox factors ${listSome([...ignoredFactors])} do not change the Python × Django matrix: ignored`);
  }
  const cells = new Map<string, Cell>();
  for (const { cell } of envs) if (cell && !cells.has(cellKey(cell))) cells.set(cellKey(cell), cell);
  return { file: tox.file, line: setting.line, envs, cells: [...cells.values()], notes };
}

function listSome(items: readonly string[]): string {
  return items.length <= 8 ? items.join(", ") : `${items.slice(0, 8).join(", ")} and ${items.length - 8} more`;
}

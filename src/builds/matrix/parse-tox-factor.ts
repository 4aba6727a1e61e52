import type { DatabaseName } from "../../domain/database.js";
import { parseDatabaseName } from "./parse-database-name.js";

/** The `pypy3` factor: PyPy, its version left to the planner. */
export const ANY_PYPY = "pypy3";

/** What one tox factor (a `-`-separated part of an env name) means to Pony CI. */
export type ToxFactor =
  | { kind: "python"; version: string }
  | { kind: "django"; version: string }
  | { kind: "database"; database: DatabaseName }
  | { kind: "other" };

/**
 * Read a tox factor: `py311`, `py3.11`, `python3.11`, `cpython311` name a
 * CPython version; `pypy310`, `pypy3.10` a PyPy one ("pypy3.10", see
 * python-name.ts) and `pypy3` PyPy of any version ("pypy3": the newest the
 * Django release supports); `django42`, `django4.2`, `dj42` name a Django
 * release. `sqlite3`, `postgresql`/`postgres`, `mysql`/`mariadb` name the
 * database axis (see parseDatabaseName). Everything else (`py3`, `pypy`,
 * `djmain`, `lint`) is "other".
 */
export function parseToxFactor(factor: string): ToxFactor {
  const python = /^(?:py|python|cpython)([23])\.?(\d{1,2})$/i.exec(factor);
  if (python) return { kind: "python", version: `${python[1]}.${Number(python[2])}` };
  const pypy = /^pypy3(?:\.?(\d{1,2}))?$/i.exec(factor);
  if (pypy) return { kind: "python", version: pypy[1] === undefined ? ANY_PYPY : `pypy3.${Number(pypy[1])}` };
  const django = /^(?:django|dj)(\d)\.?(\d{1,2})$/i.exec(factor);
  if (django) return { kind: "django", version: `${django[1]}.${Number(django[2])}` };
  const database = parseDatabaseName(factor);
  if (database) return { kind: "database", database };
  return { kind: "other" };
}

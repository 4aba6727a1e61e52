import type { DatabaseName } from "./database.js";
import { pythonTitle } from "./python-name.js";

/**
 * One cell of a build matrix: a Python and a Django version, as
 * "major.minor" strings ("3.11", "5.2"; PyPy as "pypy3.11", see
 * python-name.ts), and the database the tests use. The
 * runner resolves "5.2" to the newest 5.2.x on PyPI when it builds the
 * cell's environment.
 */
export interface Cell {
  python: string;
  django: string;
  /**
   * The `database:` axis: "postgres" or "mariadb" start that service beside
   * the tests; "sqlite" or undefined run without one (undefined when the
   * matrix has no database axis at all).
   */
  database?: DatabaseName;
  /** Extra variables a matrix `include` entry attached to this cell. */
  vars?: Record<string, string>;
}

/** True when the cell runs with a database service (not SQLite). */
export function usesService(cell: Pick<Cell, "database">): cell is { database: Exclude<DatabaseName, "sqlite"> } {
  return cell.database !== undefined && cell.database !== "sqlite";
}

/** Readable name used for check runs and tables: "Python 3.13 · Django 5.2", "PyPy 3.11 · Django 5.2" (· PostgreSQL for a service cell). */
export function cellName(cell: Cell): string {
  const base = `${pythonTitle(cell.python)} · Django ${cell.django}`;
  return usesService(cell) ? `${base} · ${databaseTitles[cell.database]}` : base;
}

/** Stable key for maps and dedupe: "py3.13-dj5.2" ("py3.13-dj5.2-postgres" for a service cell; "pypypy3.11-dj5.2" for PyPy: the store computes the same in SQL). */
export function cellKey(cell: Cell): string {
  const base = `py${cell.python}-dj${cell.django}`;
  return usesService(cell) ? `${base}-${cell.database}` : base;
}

const databaseTitles: Readonly<Record<Exclude<DatabaseName, "sqlite">, string>> = { postgres: "PostgreSQL", mariadb: "MariaDB", postgis: "PostGIS" };

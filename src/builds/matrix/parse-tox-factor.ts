import type { DatabaseName } from "../../domain/database.js";
import { parseDatabaseName } from "./parse-database-name.js";

/** What one tox factor (a `-`-separated part of an env name) means to Pony CI. */
export type ToxFactor =
  | { kind: "python"; version: string }
  | { kind: "django"; version: string }
  | { kind: "database"; database: DatabaseName }
  | { kind: "other" };

/**
 * Read a tox factor: `py311`, `py3.11`, `python3.11`, `cpython311` name a
 * CPython version; `django42`, `django4.2`, `dj42` name a Django release.
 * `sqlite3`, `postgresql`/`postgres`, `mysql`/`mariadb` name the database
 * axis (see parseDatabaseName). Everything else (`py3`, `pypy310`, `djmain`,
 * `lint`) is "other".
 */
export function parseToxFactor(factor: string): ToxFactor {
  const python = /^(?:py|python|cpython)([23])\.?(\d{1,2})$/i.exec(factor);
  if (python) return { kind: "python", version: `${python[1]}.${Number(python[2])}` };
  const django = /^(?:django|dj)(\d)\.?(\d{1,2})$/i.exec(factor);
  if (django) return { kind: "django", version: `${django[1]}.${Number(django[2])}` };
  const database = parseDatabaseName(factor);
  if (database) return { kind: "database", database };
  return { kind: "other" };
}

import type { ServiceName } from "../../../src/domain/database.js";
import { normalizeName } from "../../../src/domain/normalize-name.js";

/** Distributions that are a driver Django can use for each service (normalised names). */
export const databaseDrivers: Readonly<Record<ServiceName, readonly string[]>> = {
  postgres: ["psycopg", "psycopg-binary", "psycopg2", "psycopg2-binary", "psycopg-c"],
  mariadb: ["mysqlclient", "pymysql", "mysql-connector-python"],
  postgis: ["psycopg", "psycopg-binary", "psycopg2", "psycopg2-binary", "psycopg-c"],
};

/**
 * What a cell on `database` installs when the project names no driver:
 * psycopg 3 with its binary wheel (no compiler or libpq needed), and PyMySQL
 * for MariaDB (mysqlclient needs a compiler and libmariadb headers and ships
 * no Linux wheels; the harness's sitecustomize makes PyMySQL importable as
 * MySQLdb when mysqlclient is absent).
 */
export const defaultDrivers: Readonly<Record<ServiceName, string>> = { postgres: "psycopg[binary]", mariadb: "PyMySQL", postgis: "psycopg[binary]" };

/**
 * `requirements` plus the default driver for `database`, unless one of them
 * already names a driver for it. Pure; order kept, driver appended.
 */
export function addDatabaseDriver(requirements: readonly string[], database: ServiceName | undefined): string[] {
  if (database === undefined) return [...requirements];
  const names = requirements.map((line) => normalizeName(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line)?.[1] ?? ""));
  if (names.some((name) => databaseDrivers[database].includes(name))) return [...requirements];
  return [...requirements, defaultDrivers[database]];
}

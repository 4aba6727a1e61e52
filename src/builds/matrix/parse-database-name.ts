import type { DatabaseName } from "../../domain/database.js";

/**
 * The `database:` axis value a name means, in the spellings people use in
 * config files and tox factors: sqlite/sqlite3, postgres/postgresql/pg/psql
 * and the drivers' names psycopg/psycopg2/psycopg3 (a driver factor runs on
 * PostgreSQL: the env's deps pick the driver), postgis, mariadb/mysql (MySQL
 * cells run on MariaDB, which speaks its protocol: Debian ships no MySQL server).
 * Case-insensitive; undefined for anything else.
 */
export function parseDatabaseName(name: string): DatabaseName | undefined {
  switch (name.toLowerCase()) {
    case "sqlite":
    case "sqlite3":
      return "sqlite";
    case "postgres":
    case "postgresql":
    case "pg":
    case "psql":
    case "psycopg":
    case "psycopg2":
    case "psycopg3":
      return "postgres";
    case "postgis":
      return "postgis";
    case "mariadb":
    case "mysql":
      return "mariadb";
    default:
      return undefined;
  }
}

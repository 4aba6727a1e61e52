import type { DatabaseName } from "../../domain/database.js";

/**
 * The `database:` axis value a name means, in the spellings people use in
 * config files and tox factors: sqlite/sqlite3, postgres/postgresql/pg/psql,
 * mariadb/mysql (MySQL cells run on MariaDB, which speaks its protocol).
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
      return "postgres";
    case "mariadb":
    case "mysql":
      return "mariadb";
    default:
      return undefined;
  }
}

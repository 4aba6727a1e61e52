import type { DatabaseLogin } from "../../../src/domain/database-logins.js";
import { serviceCredentials, serviceEngine, servicePorts, type ServiceName } from "../../../src/domain/database.js";

/** A client command run with `docker exec` (argv, never a shell) and its environment; `tolerant`: its failure is not one. */
export interface LoginCommand {
  cmd: string[];
  env: string[];
  tolerant?: boolean;
}

/**
 * The client commands that make a ready service accept the logins a cell's
 * environment names: each user created (or its password set) with every
 * privilege, as the superuser of GitHub Actions' `postgres`/`mysql` service
 * containers is, and each named database created. They connect as Pony
 * CI's own login. PostgreSQL has no CREATE DATABASE IF NOT EXISTS: those
 * statements run in a tolerant command of their own (one -c each, so an
 * existing database does not stop the others). Empty when there is nothing
 * to do. Names were checked by databaseLogins (letters, digits, _ $ -);
 * passwords are printable ASCII, escaped as string literals here. Pure.
 */
export function loginCommands(service: ServiceName, logins: readonly DatabaseLogin[]): LoginCommand[] {
  if (logins.length === 0) return [];
  const { host, user, password } = serviceCredentials;
  const port = String(servicePorts[service]);
  if (serviceEngine(service) === "postgres") {
    const psql = (statements: string[], strict: boolean) => [
      "psql", "-X", "-q", ...(strict ? ["-v", "ON_ERROR_STOP=1"] : []), "-h", host, "-p", port, "-U", user, "-d", "postgres", ...statements.flatMap((s) => ["-c", s]),
    ];
    const env = [`PGPASSWORD=${password}`, "PGCONNECT_TIMEOUT=10"];
    const roles = logins.flatMap((login) => {
      const role = pgIdentifier(login.user);
      const secret = login.password === "" ? "NULL" : `'${login.password.replaceAll("'", "''")}'`;
      return [
        `DO $ponyci$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${login.user}') THEN CREATE ROLE ${role}; END IF; END $ponyci$`,
        `ALTER ROLE ${role} LOGIN SUPERUSER PASSWORD ${secret}`,
      ];
    });
    // FILE_COPY: PostgreSQL 15's default (WAL_LOG) writes the template into the WAL, about a second here; the
    // plain statement after it is for servers before 15 (where it fails when the first one worked).
    const databases = logins.flatMap((login) => {
      if (!login.database) return [];
      const create = `CREATE DATABASE ${pgIdentifier(login.database)} OWNER ${pgIdentifier(login.user)}`;
      return [`${create} STRATEGY = FILE_COPY`, create];
    });
    return [{ cmd: psql(roles, true), env }, ...(databases.length > 0 ? [{ cmd: psql(databases, false), env, tolerant: true }] : [])];
  }
  const sql = logins
    .flatMap((login) => {
      const account = `'${login.user}'@'%'`;
      const secret = `'${login.password.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
      return [
        `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${secret}`,
        `ALTER USER ${account} IDENTIFIED BY ${secret}`,
        `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION`,
        ...(login.database ? [`CREATE DATABASE IF NOT EXISTS \`${login.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`] : []),
      ];
    })
    .join(";\n");
  return [{ cmd: ["mariadb", "--no-defaults", "-h", host, "-P", port, "-u", user, "--connect-timeout=10", "-e", `${sql};`], env: [`MYSQL_PWD=${password}`] }];
}

function pgIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

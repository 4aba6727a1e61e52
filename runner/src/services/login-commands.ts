import type { DatabaseLogin } from "../../../src/domain/database-logins.js";
import { serviceCredentials, serviceEngine, servicePorts, type ServiceName } from "../../../src/domain/database.js";

/**
 * The client command (argv for `docker exec`, never a shell) that makes a
 * ready service accept the logins a cell's environment names: each user
 * created (or its password set) with every privilege, as the superuser of
 * GitHub Actions' `postgres`/`mysql` service containers is, and each named
 * database created. Connects as Pony CI's own login. Statements that fail
 * because the role or database exists already are passed over (psql without
 * ON_ERROR_STOP, mariadb --force). Undefined when there is nothing to do.
 * Names were checked by databaseLogins (letters, digits, _ $ -); passwords
 * are printable ASCII, escaped as string literals here. Pure.
 */
export function loginCommand(service: ServiceName, logins: readonly DatabaseLogin[]): { cmd: string[]; env: string[] } | undefined {
  if (logins.length === 0) return undefined;
  const { host, user, password } = serviceCredentials;
  const port = String(servicePorts[service]);
  if (serviceEngine(service) === "postgres") {
    const statements = logins.flatMap((login) => {
      const role = pgIdentifier(login.user);
      const secret = login.password === "" ? "NULL" : `'${login.password.replaceAll("'", "''")}'`;
      return [
        `CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD ${secret}`,
        `ALTER ROLE ${role} LOGIN SUPERUSER PASSWORD ${secret}`,
        ...(login.database ? [`CREATE DATABASE ${pgIdentifier(login.database)} OWNER ${role}`] : []),
      ];
    });
    return {
      cmd: ["psql", "-X", "-q", "-h", host, "-p", port, "-U", user, "-d", "postgres", ...statements.flatMap((s) => ["-c", s])],
      env: [`PGPASSWORD=${password}`, "PGCONNECT_TIMEOUT=10"],
    };
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
  return {
    cmd: ["mariadb", "--no-defaults", "--force", "-h", host, "-P", port, "-u", user, "--connect-timeout=10", "-e", `${sql};`],
    env: [`MYSQL_PWD=${password}`],
  };
}

function pgIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

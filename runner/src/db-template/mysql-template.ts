import type Docker from "dockerode";
import { serviceCredentials, servicePorts } from "../../../src/domain/database.js";
import { SERVICE_IN_DIR } from "./postgres-template.js";
import { execChecked, execToFile } from "./service-exec.js";

/**
 * A database name the harness may announce for a MariaDB/MySQL capture: what
 * Django's test database names are (`test_<NAME>` or TEST NAME), plain
 * identifier characters only, so it can only ever be an argv item naming a
 * database of the cell's own server.
 */
export const MYSQL_DATABASE_NAME = /^[A-Za-z0-9_$][A-Za-z0-9_$-]{0,63}$/;

const connect = ["--no-defaults", "-h", serviceCredentials.host, "-P", String(servicePorts.mariadb), "-u", serviceCredentials.user];
const env = [`MYSQL_PWD=${serviceCredentials.password}`];

/**
 * mariadb-dump / mariadb, or the mysql* names of older and MySQL images;
 * `input`: a file the tool reads as stdin. Constant script: the arguments
 * are argv items.
 */
function tool(names: [string, string], args: string[], input?: string): string[] {
  const run = input === undefined ? 'exec "$bin" "$@"' : 'input=$1; shift; exec "$bin" "$@" < "$input"';
  return ["sh", "-c", `bin=$(command -v "$0" || command -v "$1") || exit 127; shift; ${run}`, ...names, ...(input === undefined ? [] : [input]), ...args];
}

/**
 * Dump the migrated test database `database` (validated: MYSQL_DATABASE_NAME)
 * from the cell's MariaDB service container into `file`, at most `maxBytes`;
 * returns the size. The service's own mariadb-dump runs there, in one
 * transaction (a consistent copy while the harness waits, before any test),
 * with the CREATE DATABASE so the next cell's load recreates it under its
 * name; the bytes are written on the host, never parsed.
 * @throws when the name is refused, the dump fails or is larger than `maxBytes`.
 */
export async function dumpMysqlTemplate(docker: Docker, containerId: string, database: string, file: string, maxBytes: number): Promise<number> {
  if (!MYSQL_DATABASE_NAME.test(database)) throw new Error("the harness named no usable test database");
  const args = [...connect, "--single-transaction", "--routines", "--triggers", "--skip-comments", "--skip-dump-date", "--databases", database];
  return execToFile(docker, containerId, tool(["mariadb-dump", "mysqldump"], args), env, file, maxBytes, "mariadb-dump");
}

/**
 * Load a kept dump (already copied into the service's read-only input
 * directory as `name`) into the cell's fresh MariaDB server with its own
 * client. Hostile data only reaches this cell's private server, which its
 * tests own anyway.
 * @throws when the load fails.
 */
export async function restoreMysqlTemplate(docker: Docker, containerId: string, name: string): Promise<void> {
  await execChecked(docker, containerId, tool(["mariadb", "mysql"], [...connect, "--connect-timeout=10"], `${SERVICE_IN_DIR}/${name}`), env, "mariadb");
}

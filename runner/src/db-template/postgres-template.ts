import type Docker from "dockerode";
import { serviceCredentials, servicePorts } from "../../../src/domain/database.js";
import { execChecked, execToFile } from "./service-exec.js";

/** The database the harness copies the migrated test database to (ponyci_db_template.py). */
export const TEMPLATE_DATABASE = "ponyci_template";
/** Where the service container sees the runner's files (a read-only bind of the job's service-in directory). */
export const SERVICE_IN_DIR = "/ponyci/in";

/**
 * A PostgreSQL client tool inside the service container: on PATH (official
 * images), else the newest under /usr/lib/postgresql (Debian's layout, Pony
 * CI's own images). Constant argv: no value from a repository reaches it.
 */
function tool(name: "pg_dump" | "pg_restore", args: string[]): string[] {
  return ["sh", "-c", 'bin=$(command -v "$0" || ls -d /usr/lib/postgresql/*/bin/"$0" 2>/dev/null | tail -n 1); exec "$bin" "$@"', name, ...args];
}

const connect = ["-h", serviceCredentials.host, "-p", String(servicePorts.postgres), "-U", serviceCredentials.user, "--no-password"];

/**
 * Dump the template database from the cell's service container into `file`
 * (custom format), at most `maxBytes`; returns the size. The dump runs in the
 * service container (its own pg_dump), its bytes are written, never parsed.
 * @throws when pg_dump fails or the dump is larger than `maxBytes`.
 */
export async function dumpPostgresTemplate(docker: Docker, containerId: string, file: string, maxBytes: number): Promise<number> {
  return execToFile(docker, containerId, tool("pg_dump", [...connect, "-Fc", "-Z1", "-d", TEMPLATE_DATABASE]), [], file, maxBytes, "pg_dump");
}

/**
 * Restore a kept dump (already copied into the service's read-only input
 * directory as `name`) into the cell's fresh server as the template
 * database, with the service's own pg_restore. Hostile data only reaches
 * this cell's private server, which its tests own anyway.
 * @throws when pg_restore fails.
 */
export async function restorePostgresTemplate(docker: Docker, containerId: string, name: string): Promise<void> {
  await execChecked(docker, containerId, tool("pg_restore", [...connect, "--create", "--exit-on-error", "-d", serviceCredentials.name, `${SERVICE_IN_DIR}/${name}`]), [], "pg_restore");
}

import type Docker from "dockerode";
import { createWriteStream } from "node:fs";
import { PassThrough, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { serviceCredentials, servicePorts } from "../../../src/domain/database.js";

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
  const container = docker.getContainer(containerId);
  const exec = await container.exec({ Cmd: tool("pg_dump", [...connect, "-Fc", "-Z1", "-d", TEMPLATE_DATABASE]), AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  let stderr = "";
  const err = new Writable({ write(chunk: Buffer, _encoding, done) { stderr = (stderr + chunk.toString("utf8")).slice(-2000); done(); } });
  let size = 0;
  const bounded = new PassThrough({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done(size > maxBytes ? new Error(`the template dump is larger than ${maxBytes} bytes: not kept`) : null, chunk);
    },
  });
  docker.modem.demuxStream(stream, out, err);
  stream.on("end", () => out.end());
  stream.on("error", (error) => out.destroy(error));
  try {
    await pipeline(out, bounded, createWriteStream(file, { mode: 0o600 }));
  } finally {
    stream.destroy();
  }
  const { ExitCode } = await waitForExec(exec);
  if (ExitCode !== 0) throw new Error(`pg_dump exited with code ${ExitCode}: ${stderr.trim().slice(-500)}`);
  return size;
}

/**
 * Restore a kept dump (already copied into the service's read-only input
 * directory as `name`) into the cell's fresh server as the template
 * database, with the service's own pg_restore. Hostile data only reaches
 * this cell's private server, which its tests own anyway.
 * @throws when pg_restore fails.
 */
export async function restorePostgresTemplate(docker: Docker, containerId: string, name: string): Promise<void> {
  const container = docker.getContainer(containerId);
  const exec = await container.exec({
    Cmd: tool("pg_restore", [...connect, "--create", "--exit-on-error", "-d", serviceCredentials.name, `${SERVICE_IN_DIR}/${name}`]),
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  let output = "";
  await new Promise<void>((resolve) => {
    stream.on("data", (chunk: Buffer) => (output = (output + chunk.toString("utf8")).slice(-2000)));
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
  const { ExitCode } = await waitForExec(exec);
  if (ExitCode !== 0) throw new Error(`pg_restore exited with code ${ExitCode}: ${output.replace(/[^\x20-\x7e\n]/g, "").trim().slice(-500)}`);
}

async function waitForExec(exec: Docker.Exec): Promise<{ ExitCode: number | null }> {
  for (let i = 0; i < 500; i++) {
    const info = await exec.inspect();
    if (!info.Running) return { ExitCode: info.ExitCode };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { ExitCode: null };
}

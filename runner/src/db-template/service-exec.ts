import type Docker from "dockerode";
import { createWriteStream } from "node:fs";
import { PassThrough, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Run `cmd` (constant argv: no value from a repository picks a program or
 * a path) in the cell's service container and write its stdout into `file`
 * (mode 0600), at most `maxBytes`; returns the size. The bytes are hostile
 * data: written, never parsed. `what` names the tool in errors.
 * @throws when the command fails or its output is larger than `maxBytes`.
 */
export async function execToFile(docker: Docker, containerId: string, cmd: string[], env: string[], file: string, maxBytes: number, what: string): Promise<number> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
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
  if (ExitCode !== 0) throw new Error(`${what} exited with code ${ExitCode}: ${printable(stderr)}`);
  return size;
}

/**
 * Run `cmd` in the service container to its end, its output kept only as a
 * bounded, printable tail for the error.
 * @throws when the command fails.
 */
export async function execChecked(docker: Docker, containerId: string, cmd: string[], env: string[], what: string): Promise<void> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let output = "";
  await new Promise<void>((resolve) => {
    stream.on("data", (chunk: Buffer) => (output = (output + chunk.toString("utf8")).slice(-2000)));
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
  const { ExitCode } = await waitForExec(exec);
  if (ExitCode !== 0) throw new Error(`${what} exited with code ${ExitCode}: ${printable(output)}`);
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e\n]/g, "").trim().slice(-500);
}

async function waitForExec(exec: Docker.Exec): Promise<{ ExitCode: number | null }> {
  for (let i = 0; i < 500; i++) {
    const info = await exec.inspect();
    if (!info.Running) return { ExitCode: info.ExitCode };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { ExitCode: null };
}

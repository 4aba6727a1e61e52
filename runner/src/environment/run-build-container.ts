import { delay } from "../util/delay.js";
import type Docker from "dockerode";
import { PassThrough } from "node:stream";
import { createLineSplitter } from "../container/create-line-splitter.js";
import { CONTAINER_OWNER, LABEL_MANAGED, LABEL_OWNER } from "../docker/labels.js";
import { CancelledError, describeError } from "../../../src/domain/errors.js";
import { EnvironmentError } from "./environment-error.js";

/** Marks build containers (not test containers) so a restart can reap leftovers. */
export const LABEL_ENV_BUILD = "org.ponyci.env-build";

export interface BuildContainerSpec {
  image: string;
  /** Run with `sh -c`. */
  script: string;
  env?: string[];
  /** host:container[:ro] */
  binds?: string[];
  labels?: Record<string, string>;
}

export interface BuildContainerOptions {
  signal?: AbortSignal;
  /** Every output line (stdout and stderr), as it comes. */
  onLine?: (line: string) => void;
  /** Runs after the script exited, before the container is removed (to commit it). */
  afterExit?: (container: Docker.Container, exitCode: number) => Promise<void>;
}

/**
 * Run a trusted build script (venv creation, offline pip) in a container from
 * `image`: no network, output streamed line by line, exit code from Docker,
 * the container always removed. Docker failures are EnvironmentError
 * "infrastructure"; an abort kills the container and throws CancelledError.
 */
export async function runBuildContainer(docker: Docker, spec: BuildContainerSpec, options: BuildContainerOptions = {}): Promise<{ exitCode: number }> {
  if (options.signal?.aborted) throw new CancelledError();
  let container: Docker.Container | undefined;
  const kill = () => void container?.kill().catch(() => undefined);
  try {
    try {
      container = await docker.createContainer({
        Image: spec.image,
        Cmd: ["sh", "-c", spec.script],
        Env: spec.env,
        Tty: false,
        AttachStdout: true,
        AttachStderr: true,
        NetworkDisabled: true,
        Labels: { [LABEL_MANAGED]: "1", [LABEL_OWNER]: CONTAINER_OWNER, [LABEL_ENV_BUILD]: "1", ...spec.labels },
        HostConfig: { NetworkMode: "none", Binds: spec.binds ?? [], LogConfig: { Type: "none", Config: {} } },
      });
    } catch (error) {
      throw new EnvironmentError("infrastructure", `Docker could not create a build container from ${spec.image}: ${describeError(error)}`, { cause: error });
    }
    options.signal?.addEventListener("abort", kill, { once: true });
    const splitter = createLineSplitter({ onLine: (line) => options.onLine?.(line), maxLineBytes: 4096 });
    const out = new PassThrough();
    out.on("data", (chunk: Buffer) => splitter.write(chunk));
    let exitCode: number;
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const ended = new Promise<void>((resolve) => {
        stream.on("end", resolve);
        stream.on("close", resolve);
        stream.on("error", () => resolve());
      });
      container.modem.demuxStream(stream, out, out);
      await container.start();
      const waited = (await container.wait()) as { StatusCode: number };
      await Promise.race([ended, delay(2000)]);
      splitter.end();
      exitCode = waited.StatusCode;
    } catch (error) {
      if (options.signal?.aborted) throw new CancelledError();
      throw new EnvironmentError("infrastructure", `Docker failed while running a build container: ${describeError(error)}`, { cause: error });
    }
    if (options.signal?.aborted) throw new CancelledError();
    await options.afterExit?.(container, exitCode);
    return { exitCode };
  } finally {
    options.signal?.removeEventListener("abort", kill);
    await container?.remove({ force: true }).catch(() => undefined);
  }
}

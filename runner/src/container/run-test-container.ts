import { delay } from "../../../src/util/delay.js";
import type Docker from "dockerode";
import { PassThrough } from "node:stream";
import { InfrastructureError, describeError } from "../../../src/domain/errors.js";
import { createHardenedContainer } from "./create-hardened-container.js";
import { wasStoppedFromOutside } from "./was-stopped-from-outside.js";
import { removeContainer } from "../docker/remove-container.js";

export interface ContainerLimits {
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  timeoutSec: number;
}

export interface TestContainerSpec {
  jobId: string;
  image: string;
  cmd: string[];
  env: Record<string, string>;
  workingDir: string;
  /** host:container[:ro] bind mounts: the workspace, the harness, the events directory. */
  binds: string[];
  /** uid:gid to run as; never root. */
  user: string;
  limits: ContainerLimits;
  /**
   * `container:<id>`: join a database service's network namespace (loopback
   * only, the service on 127.0.0.1); undefined: `none`.
   */
  networkMode?: string;
}

export interface TestContainerResult {
  exitCode?: number;
  oomKilled: boolean;
  timedOut: boolean;
  cancelled: boolean;
}

export interface RunTestContainerOptions {
  signal?: AbortSignal;
  onOutput: (stream: "stdout" | "stderr", chunk: Buffer) => void;
  onStarted?: () => void;
}


/**
 * Run untrusted test code: no network (or only a database service's
 * loopback, see startService), no capabilities, no new privileges,
 * read-only root file system, memory/CPU/pids limits, a wall-clock timeout,
 * labelled, and always removed. Output is streamed (demuxed) as it comes.
 * Docker failures throw InfrastructureError; a failing test is not an error here.
 */
export async function runTestContainer(docker: Docker, spec: TestContainerSpec, options: RunTestContainerOptions): Promise<TestContainerResult> {
  const result: TestContainerResult = { oomKilled: false, timedOut: false, cancelled: false };
  if (options.signal?.aborted) return { ...result, cancelled: true };
  let container: Docker.Container;
  try {
    container = await createHardenedContainer(docker, {
      image: spec.image,
      cmd: spec.cmd,
      env: spec.env,
      workingDir: spec.workingDir,
      user: spec.user,
      attach: true,
      // No networkDisabled: `NetworkMode: none` already gives a namespace with only loopback, and with
      // networking disabled Docker leaves /etc/hosts empty, so `localhost` did not resolve
      // (django-model-utils' default HOST). A service's namespace (`container:<id>`) has only loopback too.
      networkMode: spec.networkMode ?? "none",
      jobId: spec.jobId,
      binds: spec.binds,
      readonlyRoot: { tmpfs: { "/tmp": "rw,nosuid,nodev,size=512m", "/run": "rw,nosuid,nodev,size=16m" } },
      limits: spec.limits,
      nofile: 4096,
      // Output reaches us through attach; the daemon must not store gigabytes of it.
      log: "none",
    });
  } catch (error) {
    throw new InfrastructureError(`Could not create the test container from ${spec.image}: ${describeError(error)}`, { cause: error });
  }

  let timer: NodeJS.Timeout | undefined;
  const kill = () => container.kill({ signal: "SIGKILL" }).catch(() => undefined);
  const onAbort = () => {
    result.cancelled = true;
    void kill();
  };
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    const err = new PassThrough();
    out.on("data", (chunk: Buffer) => options.onOutput("stdout", chunk));
    err.on("data", (chunk: Buffer) => options.onOutput("stderr", chunk));
    docker.modem.demuxStream(stream, out, err);
    const streamEnded = new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", () => resolve());
    });

    options.signal?.addEventListener("abort", onAbort, { once: true });
    const startedAt = Date.now();
    await container.start();
    options.onStarted?.();
    timer = setTimeout(() => {
      result.timedOut = true;
      void kill();
    }, spec.limits.timeoutSec * 1000);
    if (options.signal?.aborted) onAbort();

    const waited = (await container.wait()) as { StatusCode: number };
    await Promise.race([streamEnded, delay(2000)]);
    result.exitCode = waited.StatusCode;
    const info = await container.inspect();
    result.oomKilled = info.State.OOMKilled === true;
    // Killed by a signal we did not send: a daemon restart or `docker stop` is not the project's verdict.
    if (waited.StatusCode > 128 && !result.timedOut && !result.cancelled && !result.oomKilled && (await wasStoppedFromOutside(docker, container.id, startedAt))) {
      throw new Error(`Docker stopped the test container (exit code ${waited.StatusCode}): the daemon restarted or someone ran docker stop/kill`);
    }
    return result;
  } catch (error) {
    if (result.cancelled) return result;
    throw new InfrastructureError(`The test container failed: ${describeError(error)}`, { cause: error });
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    await removeContainer(container);
  }
}

import { delay } from "../../../src/util/delay.js";
import type Docker from "dockerode";
import { PassThrough } from "node:stream";
import { createLineSplitter } from "../container/create-line-splitter.js";
import { createHardenedContainer } from "../container/create-hardened-container.js";
import { CancelledError, describeError } from "../../../src/domain/errors.js";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { removeContainer } from "../docker/remove-container.js";

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
  /** Limits and deadline; every build container gets them (default DEFAULT_BUILD_LIMITS). */
  limits?: BuildContainerLimits;
  /**
   * The script runs code a repository chose (a source distribution's
   * setup.py): also run as `user` (never root) on a read-only root file
   * system with a tmpfs /tmp, like a test container.
   */
  untrusted?: { user: string; limits: BuildContainerLimits };
  /**
   * Run as this user ("uid:gid", never root) on a read-only root file
   * system with a tmpfs /tmp (an environment build: it writes only the
   * directories bind-mounted for it, which that user owns).
   */
  user?: string;
  /** The lowest CPU weight (cpu.shares 2): work that may wait for every other container (background byte-compiling). */
  lowPriority?: boolean;
}

export interface BuildContainerLimits {
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  /** Wall-clock deadline: the container is killed after it. */
  timeoutSec: number;
  /** Output passed on to onLine; the rest is counted and dropped. */
  logLimitBytes: number;
}

export const DEFAULT_BUILD_LIMITS: BuildContainerLimits = {
  memoryBytes: 2 * 1024 ** 3,
  nanoCpus: 2e9,
  pidsLimit: 512,
  timeoutSec: 15 * 60,
  logLimitBytes: 4 * 1024 * 1024,
};

export interface BuildContainerOptions {
  signal?: AbortSignal;
  /** Every output line (stdout and stderr), as it comes. */
  onLine?: (line: string) => void;
}

/**
 * Run a build script (venv creation and offline pip; a source distribution's
 * build) in a container from `image`: no network, no capabilities, no new
 * privileges, memory/CPU/pids limits, a deadline (then killed: `timedOut`),
 * output streamed line by line within a byte budget, exit code from Docker,
 * the container always removed. `untrusted` adds a non-root user and a
 * read-only root. Docker failures are EnvironmentError "infrastructure"; an
 * abort kills the container and throws CancelledError.
 */
export async function runBuildContainer(docker: Docker, spec: BuildContainerSpec, options: BuildContainerOptions = {}): Promise<{ exitCode: number; timedOut: boolean }> {
  if (options.signal?.aborted) throw new CancelledError();
  const limits = spec.untrusted?.limits ?? spec.limits ?? DEFAULT_BUILD_LIMITS;
  let container: Docker.Container | undefined;
  let timedOut = false;
  let deadline: NodeJS.Timeout | undefined;
  const kill = () => void container?.kill({ signal: "SIGKILL" }).catch(() => undefined);
  try {
    try {
      container = await createHardenedContainer(docker, {
        image: spec.image,
        cmd: ["sh", "-c", spec.script],
        env: spec.env,
        attach: true,
        networkDisabled: true,
        labels: { [LABEL_ENV_BUILD]: "1", ...spec.labels },
        user: spec.untrusted?.user ?? spec.user,
        binds: spec.binds ?? [],
        log: "none",
        limits,
        ...(spec.lowPriority ? { cpuShares: 2 } : {}),
        nofile: 4096,
        ...(spec.untrusted
          ? { readonlyRoot: { tmpfs: { "/tmp": "rw,nosuid,nodev,exec,size=1g", "/run": "rw,nosuid,nodev,size=16m" } } }
          : spec.user
            ? { readonlyRoot: { tmpfs: { "/tmp": "rw,nosuid,nodev,exec,size=1g" } } }
            : {}),
      });
    } catch (error) {
      throw new EnvironmentError("infrastructure", `Docker could not create a build container from ${spec.image}: ${describeError(error)}`, { cause: error });
    }
    options.signal?.addEventListener("abort", kill, { once: true });
    // One splitter per stream, sharing one budget: a partial stdout line and a stderr chunk
    // arriving between its pieces must not be joined into one line (they were, once, in CI).
    const budget = { left: limits.logLimitBytes };
    const splitters = [0, 1].map(() => createLineSplitter({ onLine: (line) => options.onLine?.(line), maxLineBytes: 4096, budget }));
    const [out, err] = splitters.map((splitter) => {
      const stream = new PassThrough();
      stream.on("data", (chunk: Buffer) => splitter.write(chunk));
      return stream;
    });
    let exitCode: number;
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const ended = new Promise<void>((resolve) => {
        stream.on("end", resolve);
        stream.on("close", resolve);
        stream.on("error", () => resolve());
      });
      container.modem.demuxStream(stream, out, err);
      await container.start();
      deadline = setTimeout(() => {
        timedOut = true;
        kill();
      }, limits.timeoutSec * 1000);
      const waited = (await container.wait()) as { StatusCode: number };
      await Promise.race([ended, delay(2000)]);
      for (const splitter of splitters) splitter.end();
      exitCode = waited.StatusCode;
    } catch (error) {
      if (options.signal?.aborted) throw new CancelledError();
      throw new EnvironmentError("infrastructure", `Docker failed while running a build container: ${describeError(error)}`, { cause: error });
    }
    if (options.signal?.aborted) throw new CancelledError();
    const dropped = splitters.reduce((sum, splitter) => sum + splitter.dropped, 0);
    if (dropped > 0) options.onLine?.(`ponyci: ${dropped} lines of build output were dropped (limit ${limits.logLimitBytes} bytes)`);
    return { exitCode, timedOut };
  } finally {
    if (deadline) clearTimeout(deadline);
    options.signal?.removeEventListener("abort", kill);
    if (container) await removeContainer(container, { volumes: false });
  }
}

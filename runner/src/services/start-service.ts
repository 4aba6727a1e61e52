import type Docker from "dockerode";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { checkServiceArgs, type ServiceSpec } from "../../../src/domain/database.js";
import { describeError } from "../../../src/domain/errors.js";
import { LABEL_SERVICE } from "../docker/labels.js";
import { createHardenedContainer } from "../container/create-hardened-container.js";
import type { DatabaseLogin } from "../../../src/domain/database-logins.js";
import { loginCommands } from "./login-commands.js";
import { serviceProfile } from "./service-profile.js";
import { isClassified, serviceError } from "./service-error.js";
import type { ServiceLimits } from "../../../src/domain/service-limits.js";
import { removeContainer } from "../docker/remove-container.js";

export type { ServiceLimits };

export interface StartServiceOptions {
  jobId: string;
  service: ServiceSpec;
  /** The image, from resolveServiceImage. */
  image: string;
  limits: ServiceLimits;
  /** Where files the service mounts are written (inside the job directory). */
  scratchDir: string;
  /** A host directory the service sees read-only at /ponyci/in (the runner puts a kept test-database dump there later). */
  inputDir?: string;
  /** Users and databases the cell's environment names (databaseLogins): created once the server is ready. */
  logins?: DatabaseLogin[];
  /** Readiness deadline; default 60 s (a loaded 2-core host; a warm start takes well under 1 s). */
  readyTimeoutMs?: number;
  signal?: AbortSignal;
}

/** A running, ready service. `stop` removes it; safe to call more than once. */
export interface RunningService {
  id: string;
  /** NetworkMode for the test container: `container:<id>`, the service's namespace (only loopback). */
  networkMode: string;
  /** Milliseconds from create to ready. */
  readyMs: number;
  stop(): Promise<void>;
}

/**
 * Start a database service for one job, pod-style: its own network
 * namespace (`--network none`: loopback only), which the test container
 * then joins, so the tests reach it on 127.0.0.1 and nothing else is
 * reachable; no bridge network is created. Hardened like a test container
 * where the server allows (non-root, every capability dropped,
 * no-new-privileges, read-only root, data on tmpfs, memory/CPU/pids
 * limits), labelled like one (reaped after a crash). Returns once the
 * server accepts connections (checked from inside its namespace with the
 * server's own client), or throws (serviceError): "project" when the server
 * exits and the repository passed server arguments, else "infrastructure".
 * On any failure the container is removed before throwing.
 */
export async function startService(docker: Docker, options: StartServiceOptions): Promise<RunningService> {
  const { service, image } = options;
  // Validated by the planner already; checked again because the runner trusts no stored job blindly.
  const problem = checkServiceArgs(service.name, service.args);
  if (problem) throw serviceError("project", `Server arguments of ${service.name} refused: ${problem}.`);
  const profile = serviceProfile(service.name, image, service.args);
  const binds: string[] = [];
  for (const [i, file] of profile.files.entries()) {
    await mkdir(options.scratchDir, { recursive: true });
    const hostPath = path.join(options.scratchDir, `service-file-${i}`);
    await writeFile(hostPath, file.content, { mode: 0o644 });
    binds.push(`${hostPath}:${file.containerPath}:ro`);
  }
  if (options.inputDir) binds.push(`${options.inputDir}:/ponyci/in:ro`);
  const t0 = Date.now();
  let container: Docker.Container;
  try {
    container = await createHardenedContainer(docker, {
      image,
      cmd: profile.cmd,
      env: profile.env,
      user: profile.user,
      attach: false,
      jobId: options.jobId,
      labels: { [LABEL_SERVICE]: service.name },
      networkMode: "none",
      binds,
      readonlyRoot: { tmpfs: profile.tmpfs },
      limits: options.limits,
      // The server's own log, bounded: shown when it fails to start.
      log: "bounded",
    });
  } catch (error) {
    throw serviceError("infrastructure", `Could not create the ${service.name} service from ${image}: ${describeError(error)}`, { cause: error });
  }
  const stop = async () => {
    await removeContainer(container);
  };
  // The server's output, watched for its "ready" line (a log line is no proof: the readiness command is).
  let cued = false;
  let wake: (() => void) | undefined;
  const nextCue = (ms: number) =>
    new Promise<void>((resolve) => {
      if (cued) {
        cued = false;
        return resolve();
      }
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  let output: NodeJS.ReadableStream | undefined;
  try {
    output = await container.attach({ stream: true, stdout: true, stderr: true });
    let recent = "";
    output.on("data", (chunk: Buffer) => {
      recent = (recent + chunk.toString("latin1")).slice(-512);
      if (!recent.includes(profile.readyLog)) return;
      recent = "";
      if (wake) {
        wake();
        wake = undefined;
      } else {
        cued = true;
      }
    });
    output.on("error", () => undefined);
    await container.start();
    await waitUntilReady(container, profile.readiness, options, nextCue);
    for (const login of loginCommands(service.name, options.logins ?? [])) {
      if ((await execSucceeds(container, login.cmd, login.env)) || login.tolerant) continue;
      throw serviceError("infrastructure", `The ${service.name} service could not create the users the cell's environment names (${(options.logins ?? []).map((l) => l.user).join(", ")})`);
    }
    return { id: container.id, networkMode: `container:${container.id}`, readyMs: Date.now() - t0, stop };
  } catch (error) {
    await stop();
    if (isClassified(error)) throw error;
    throw serviceError("infrastructure", `The ${service.name} service failed to start: ${describeError(error)}`, { cause: error });
  } finally {
    // Detach: the daemon keeps the (bounded) log; nothing here reads it any more.
    (output as { destroy?: () => void } | undefined)?.destroy?.();
  }
}

/**
 * Run the readiness command until it succeeds: right after each "ready" log
 * line, else every 250 ms (50 ms at first), until the deadline.
 */
async function waitUntilReady(container: Docker.Container, readiness: string[], options: StartServiceOptions, nextCue: (ms: number) => Promise<void>): Promise<void> {
  const { service } = options;
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw serviceError("infrastructure", "cancelled while the database service started");
    const state = (await container.inspect()).State;
    if (!state.Running) {
      const logs = await readLogTail(container);
      const hint = service.args.length > 0 ? ` Check its server arguments (${service.args.join(" ")}).` : "";
      throw serviceError(
        service.args.length > 0 ? "project" : "infrastructure",
        `The ${service.name} service exited with code ${state.ExitCode} before it was ready.${hint} Its last log lines:\n${logs}`,
      );
    }
    // An exec into a server that exited since the inspect fails ("not running"): the next inspect tells why.
    if (await execSucceeds(container, readiness).catch(() => false)) return;
    if (Date.now() > deadline) {
      const logs = await readLogTail(container);
      throw serviceError("infrastructure", `The ${service.name} service was not ready after ${Math.round(timeoutMs / 1000)} s. Its last log lines:\n${logs}`);
    }
    await nextCue(attempt < 4 ? 50 : 250);
  }
}

/** Run a command in the container; true when it exits 0. */
async function execSucceeds(container: Docker.Container, cmd: string[], env: string[] = []): Promise<boolean> {
  const exec = await container.exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
    stream.resume();
  });
  for (let i = 0; i < 200; i++) {
    const info = await exec.inspect();
    if (!info.Running) return info.ExitCode === 0;
    await sleep(10);
  }
  return false;
}

/** The server's last log lines (the stream is multiplexed: 8-byte frame headers), bounded. */
async function readLogTail(container: Docker.Container): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: 20, follow: false })) as unknown as Buffer;
    const lines: string[] = [];
    let at = 0;
    while (at + 8 <= raw.length) {
      const size = raw.readUInt32BE(at + 4);
      lines.push(raw.subarray(at + 8, at + 8 + size).toString("utf8"));
      at += 8 + size;
    }
    return lines.join("").slice(-4000).trimEnd() || "(no output)";
  } catch (error) {
    return `(logs unavailable: ${describeError(error)})`;
  }
}

/** A wait that keeps the process alive (unlike util/delay): the start-up is the work in progress. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

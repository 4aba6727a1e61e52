import type Docker from "dockerode";
import { LABEL_JOB, LABEL_MANAGED, ownerLabels } from "../docker/labels.js";

/** What a container may use: memory (no swap on top), CPUs, processes. */
export interface HardenedLimits {
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
}

/**
 * One container Pony CI starts (test, environment build, toolchain build,
 * database service), as the caller decides it. What every one of them gets
 * regardless is decided in hardenedContainerOptions, not here.
 */
export interface HardenedContainerSpec {
  image: string;
  cmd: string[];
  /** Environment variables besides the image's, in order (later ones win in the container). */
  env?: Record<string, string> | string[];
  user?: string;
  workingDir?: string;
  limits: HardenedLimits;
  /** "none" (the default: loopback only), or `container:<id>` (a service's namespace, itself "none"). */
  networkMode?: string;
  /** Also set Docker's NetworkDisabled (build containers: no /etc/hosts needed). */
  networkDisabled?: boolean;
  binds?: string[];
  /** A read-only root file system with these tmpfs mounts (absent: a writable root, for trusted build steps). */
  readonlyRoot?: { tmpfs: Record<string, string> };
  /** The cell run it belongs to (LABEL_JOB): reaped with it. */
  jobId?: string;
  /** More labels (service name, environment key…); they cannot replace the managed and owner labels. */
  labels?: Record<string, string>;
  /** Open files per process (default: Docker's). */
  nofile?: number;
  /** Docker's CpuShares: 2 runs a background build behind everything else. */
  cpuShares?: number;
  /** The daemon's log: none (output comes through attach), or a bounded json-file the caller reads on failure. */
  log: "none" | "bounded";
  /** Attach stdout and stderr (the output is streamed through attach). */
  attach: boolean;
}

/**
 * The container boundary, decided purely: every container gets no
 * capabilities, no new privileges, memory without swap on top, CPU and pids
 * limits, the managed and owner labels (the reaper and GC find it by them),
 * and no network but its own loopback (or a service's). The caller chooses
 * only what differs between kinds (see HardenedContainerSpec).
 */
export function hardenedContainerOptions(spec: HardenedContainerSpec): Docker.ContainerCreateOptions {
  const env = spec.env === undefined || Array.isArray(spec.env) ? spec.env : Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
  return {
    Image: spec.image,
    Cmd: spec.cmd,
    ...(env === undefined ? {} : { Env: env }),
    ...(spec.workingDir === undefined ? {} : { WorkingDir: spec.workingDir }),
    ...(spec.user === undefined ? {} : { User: spec.user }),
    Tty: false,
    ...(spec.attach ? { AttachStdout: true, AttachStderr: true, OpenStdin: false } : {}),
    ...(spec.networkDisabled ? { NetworkDisabled: true } : {}),
    Labels: { ...spec.labels, [LABEL_MANAGED]: "1", ...(spec.jobId === undefined ? {} : { [LABEL_JOB]: spec.jobId }), ...ownerLabels() },
    HostConfig: {
      NetworkMode: spec.networkMode ?? "none",
      Binds: spec.binds ?? [],
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      ...(spec.readonlyRoot ? { ReadonlyRootfs: true, Tmpfs: spec.readonlyRoot.tmpfs } : {}),
      Memory: spec.limits.memoryBytes,
      MemorySwap: spec.limits.memoryBytes, // no swap: a memory hog meets the limit, not the disk
      NanoCpus: spec.limits.nanoCpus,
      PidsLimit: spec.limits.pidsLimit,
      ...(spec.cpuShares === undefined ? {} : { CpuShares: spec.cpuShares }),
      ...(spec.nofile === undefined ? {} : { Ulimits: [{ Name: "nofile", Soft: spec.nofile, Hard: spec.nofile }] }),
      LogConfig: spec.log === "none" ? { Type: "none", Config: {} } : { Type: "json-file", Config: { "max-size": "1m", "max-file": "1" } },
    },
  };
}

/** Creates (does not start) the container hardenedContainerOptions describes. Docker's errors are the caller's to classify. */
export function createHardenedContainer(docker: Docker, spec: HardenedContainerSpec): Promise<Docker.Container> {
  return docker.createContainer(hardenedContainerOptions(spec));
}

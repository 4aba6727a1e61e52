import { randomUUID } from "node:crypto";
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";

/**
 * Labels on everything Pony CI creates in Docker, so that a restarted process
 * can find and reap what a dead one left behind (`docker ps -a --filter
 * label=org.ponyci.job`).
 */
export const LABEL_MANAGED = "org.ponyci.managed";
/** The job (cell run) a container belongs to. */
export const LABEL_JOB = "org.ponyci.job";
/** Which runner process created the container (hostname:pid). */
export const LABEL_OWNER = "org.ponyci.owner";
/** On database service containers: which service ("postgres", "mariadb"). */
export const LABEL_SERVICE = "org.ponyci.service";
/** On environment build containers: the key (hash of everything that goes into the environment). */
export const LABEL_ENV_KEY = "org.ponyci.env-key";

/** This process, as written in LABEL_OWNER (hostname:pid). */
export const CONTAINER_OWNER = `${hostname()}:${process.pid}`;

/**
 * The pid namespace of the process that made the container ("pid:[4026531836]"):
 * a pid means something only in its own namespace. A process in a container
 * with host networking has the host's name but other pids.
 */
export const LABEL_PIDNS = "org.ponyci.pidns";
/** This process's pid namespace, as written in LABEL_PIDNS ("" where /proc cannot tell). */
export const PID_NAMESPACE = (() => {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return "";
  }
})();
/**
 * True in a pid namespace other than the host's: the kernel's initial pid
 * namespace always has inode 4026531836 (PROC_PID_INIT_INO). A process in a
 * container cannot judge the host's pids.
 */
export const IN_CONTAINER = PID_NAMESPACE !== "pid:[4026531836]";

/** On containers of a `ponyci runner`: its PONYCI_RUNNER_ID (unique among the live runners of a server). */
export const LABEL_RUNNER = "org.ponyci.runner";
/** On containers of a `ponyci runner`: which start of that runner made them (random per process). */
export const LABEL_INSTANCE = "org.ponyci.instance";
/** This process's instance, as written in LABEL_INSTANCE. */
export const CONTAINER_INSTANCE = randomUUID();

/**
 * The runner id this process writes on its containers, once `claimRunnerId`
 * was called (by `ponyci runner` only). A process-wide fact like its pid: in
 * a container the host name and pid change or repeat across restarts, so
 * only the runner's id tells a restarted runner what its predecessor left.
 */
let runnerId: string | undefined;

/** `ponyci runner` at start: label its containers with its id, so that its next start can reap them. */
export function claimRunnerId(id: string): void {
  runnerId = id;
}

/** The owner labels of every container this process creates. */
export function ownerLabels(): Record<string, string> {
  return { [LABEL_OWNER]: CONTAINER_OWNER, [LABEL_PIDNS]: PID_NAMESPACE, ...(runnerId === undefined ? {} : { [LABEL_RUNNER]: runnerId, [LABEL_INSTANCE]: CONTAINER_INSTANCE }) };
}

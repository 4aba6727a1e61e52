import type Docker from "dockerode";
import { hostname } from "node:os";
import { CONTAINER_INSTANCE, IN_CONTAINER, LABEL_INSTANCE, LABEL_MANAGED, LABEL_OWNER, LABEL_PIDNS, LABEL_RUNNER, PID_NAMESPACE } from "./labels.js";
import { isProcessAlive } from "../../../src/domain/is-process-alive.js";

/**
 * Remove containers a dead Pony CI process left behind (a crash, `kill -9`):
 * every container labelled as ours whose owner (host:pid) is a process of
 * this host that no longer runs, or that has no owner and has stopped.
 * Containers of live processes, and of other hosts sharing the daemon, are
 * left alone. With `runnerId` (`ponyci runner`, whose id is unique among
 * live runners), also every container of that runner id made by another
 * instance: in a container the host name changes and the pid repeats across
 * restarts, so host:pid cannot tell. The host:pid rule applies only to
 * containers made in this process's pid namespace (LABEL_PIDNS; unlabelled
 * ones, made by older versions, only outside a container). Returns the ids removed.
 */
export async function reapContainers(docker: Docker, options: { isAlive?: (pid: number) => boolean; runnerId?: string; pidNamespace?: string; inContainer?: boolean } = {}): Promise<string[]> {
  const isAlive = options.isAlive ?? isProcessAlive;
  const pidNamespace = options.pidNamespace ?? PID_NAMESPACE;
  const inContainer = options.inContainer ?? IN_CONTAINER;
  // A pid is judged only in the namespace it belongs to: a container with host networking has the host's
  // name, and without this it would take the host's live processes' containers for a dead one's.
  const samePids = (labels: Record<string, string>): boolean => {
    const made = labels[LABEL_PIDNS];
    return made !== undefined && made !== "" ? made === pidNamespace : !inContainer;
  };
  const host = hostname();
  const containers = await docker.listContainers({ all: true, filters: { label: [LABEL_MANAGED] } });
  const removed: string[] = [];
  for (const info of containers) {
    const owner = info.Labels[LABEL_OWNER];
    let dead: boolean;
    const runner = info.Labels[LABEL_RUNNER];
    if (runner !== undefined && options.runnerId !== undefined && runner === options.runnerId) {
      dead = info.Labels[LABEL_INSTANCE] !== CONTAINER_INSTANCE;
    } else if (owner) {
      const [ownerHost, pid] = splitOwner(owner);
      dead = ownerHost === host && samePids(info.Labels) && !isAlive(pid);
    } else {
      dead = info.State !== "running";
    }
    if (!dead) continue;
    await docker
      .getContainer(info.Id)
      .remove({ force: true, v: true })
      .then(() => removed.push(info.Id))
      .catch(() => undefined); // already gone
  }
  return removed;
}

function splitOwner(owner: string): [string, number] {
  const at = owner.lastIndexOf(":");
  return [owner.slice(0, at), Number(owner.slice(at + 1))];
}

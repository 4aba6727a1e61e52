import type Docker from "dockerode";
import { hostname } from "node:os";
import { CONTAINER_INSTANCE, LABEL_INSTANCE, LABEL_MANAGED, LABEL_OWNER, LABEL_RUNNER } from "./labels.js";
import { isProcessAlive } from "../../../src/domain/is-process-alive.js";

/**
 * Remove containers a dead Pony CI process left behind (a crash, `kill -9`):
 * every container labelled as ours whose owner (host:pid) is a process of
 * this host that no longer runs, or that has no owner and has stopped.
 * Containers of live processes, and of other hosts sharing the daemon, are
 * left alone. With `runnerId` (`ponyci runner`, whose id is unique among
 * live runners), also every container of that runner id made by another
 * instance: in a container the host name changes and the pid repeats across
 * restarts, so host:pid cannot tell. Returns the ids removed.
 */
export async function reapContainers(docker: Docker, options: { isAlive?: (pid: number) => boolean; runnerId?: string } = {}): Promise<string[]> {
  const isAlive = options.isAlive ?? isProcessAlive;
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
      dead = ownerHost === host && !isAlive(pid);
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

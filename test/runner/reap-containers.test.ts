/**
 * Reaping in a container: a restarted `ponyci runner` has a new host name
 * (or the same pid 1), so host:pid cannot tell its predecessor's containers.
 * Containers carry the runner's id and the instance that made them; a runner
 * removes those of its id made by another instance, and nothing else.
 * Real Docker: containers are created (never started) from a local base image.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { hostname } from "node:os";
import { CONTAINER_INSTANCE, LABEL_INSTANCE, LABEL_MANAGED, LABEL_OWNER, LABEL_PIDNS, LABEL_RUNNER, PID_NAMESPACE, claimRunnerId, ownerLabels } from "../../runner/src/docker/labels.js";
import { reapContainers } from "../../runner/src/docker/reap-containers.js";

const docker = createDocker();
const created: string[] = [];

async function container(labels: Record<string, string>): Promise<string> {
  const made = await docker.createContainer({ Image: "ponyci/python:3.13", Cmd: ["true"], Labels: { [LABEL_MANAGED]: "1", ...labels }, HostConfig: { NetworkMode: "none" } });
  created.push(made.id);
  return made.id;
}

async function exists(id: string): Promise<boolean> {
  return docker.getContainer(id).inspect().then(() => true, () => false);
}

afterAll(async () => {
  for (const id of created) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
});

describe("reapContainers with a runner id", () => {
  it("labels a runner's containers with its id and instance", () => {
    const runnerId = `reap-${process.pid}`;
    expect(ownerLabels()[LABEL_RUNNER]).toBeUndefined();
    claimRunnerId(runnerId);
    expect(ownerLabels()).toEqual({ [LABEL_OWNER]: expect.any(String), [LABEL_PIDNS]: PID_NAMESPACE, [LABEL_RUNNER]: runnerId, [LABEL_INSTANCE]: CONTAINER_INSTANCE });
    expect(PID_NAMESPACE).toMatch(/^pid:\[\d+\]$/);
  });

  it("removes its predecessor's containers (another host name, a live pid), keeps its own and other runners'", async () => {
    const runnerId = `reap-${process.pid}`;
    // The predecessor ran in another container: another host name, and pid 1 (alive here: it is init).
    const predecessor = await container({ [LABEL_OWNER]: "3f2a9c0d1e7b:1", [LABEL_RUNNER]: runnerId, [LABEL_INSTANCE]: "an-older-instance" });
    const mine = await container({ ...ownerLabels() });
    const otherRunner = await container({ [LABEL_OWNER]: "5b9e1a2c3d4f:1", [LABEL_RUNNER]: `${runnerId}-other`, [LABEL_INSTANCE]: "another-instance" });
    const removed = await reapContainers(docker, { runnerId });
    expect(removed).toContain(predecessor);
    expect(removed).not.toContain(mine);
    expect(removed).not.toContain(otherRunner);
    expect(await exists(predecessor)).toBe(false);
    expect(await exists(mine)).toBe(true);
    expect(await exists(otherRunner)).toBe(true);
    // Without the id (the server, `ponyci run`), the owner rule alone: another host's containers are not ours.
    const again = await container({ [LABEL_OWNER]: "3f2a9c0d1e7b:1", [LABEL_RUNNER]: runnerId, [LABEL_INSTANCE]: "an-older-instance" });
    expect(await reapContainers(docker)).not.toContain(again);
  });

  it("judges host:pid only in the pid namespace that made the container (a container with host networking has the host's name)", async () => {
    // Owned by this (live) process, so other tests' reapers leave them alone; this test's reaper takes its pid
    // for dead, as a process in another pid namespace does (it cannot see the host's pids).
    const owner = `${hostname()}:${process.pid}`;
    const seenDead = (pid: number) => pid === process.pid;
    const sameNamespace = await container({ [LABEL_OWNER]: owner, [LABEL_PIDNS]: PID_NAMESPACE });
    const otherNamespace = await container({ [LABEL_OWNER]: owner, [LABEL_PIDNS]: "pid:[1]" });
    const unlabelled = await container({ [LABEL_OWNER]: owner });
    // A process in a container (pid namespace "pid:[1]", the host's name): only its own namespace's.
    await reapContainers(docker, { pidNamespace: "pid:[1]", inContainer: true, isAlive: (pid) => !seenDead(pid) });
    expect(await exists(otherNamespace)).toBe(false);
    expect(await exists(sameNamespace)).toBe(true);
    expect(await exists(unlabelled)).toBe(true);
    // On the host: its own namespace's, and unlabelled ones (made by older versions, on the host).
    await reapContainers(docker, { isAlive: (pid) => !seenDead(pid) });
    expect(await exists(sameNamespace)).toBe(false);
    expect(await exists(unlabelled)).toBe(false);
  });
});

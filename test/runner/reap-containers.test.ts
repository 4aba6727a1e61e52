/**
 * Reaping in a container: a restarted `ponyci runner` has a new host name
 * (or the same pid 1), so host:pid cannot tell its predecessor's containers.
 * Containers carry the runner's id and the instance that made them; a runner
 * removes those of its id made by another instance, and nothing else.
 * Real Docker: containers are created (never started) from a local base image.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { CONTAINER_INSTANCE, LABEL_INSTANCE, LABEL_MANAGED, LABEL_OWNER, LABEL_RUNNER, claimRunnerId, ownerLabels } from "../../runner/src/docker/labels.js";
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
    expect(ownerLabels()).toEqual({ [LABEL_OWNER]: expect.any(String), [LABEL_RUNNER]: runnerId, [LABEL_INSTANCE]: CONTAINER_INSTANCE });
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
});

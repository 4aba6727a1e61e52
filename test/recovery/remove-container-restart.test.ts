import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import Docker from "dockerode";
import { removeContainer } from "../../runner/src/docker/remove-container.js";
import { startSecondDockerDaemon, type SecondDockerDaemon } from "./support/second-docker-daemon.js";

/**
 * Issue 5, seen again in CI (wave 3): a daemon restart stopped a cell's
 * container and failed the attempt; the removal that followed met a daemon
 * that was not there and gave up at once, so the stopped container stayed in
 * the daemon after it came back. A private dockerd (other test files use
 * the main one) is restarted while the removal runs.
 */
describe("removing a container while the Docker daemon restarts", () => {
  let daemon: SecondDockerDaemon;
  let docker: Docker;

  beforeAll(async () => {
    daemon = await startSecondDockerDaemon();
    await daemon.loadImages(["ponyci/python:3.11"]);
    docker = new Docker({ socketPath: daemon.host.replace(/^unix:\/\//, "") });
  }, 300_000);
  afterAll(async () => {
    await daemon?.dispose();
  }, 120_000);

  it("asks again until the daemon answers, then removes it: nothing is left", async () => {
    const container = await docker.createContainer({ Image: "ponyci/python:3.11", Cmd: ["sleep", "600"], HostConfig: { NetworkMode: "none" } });
    await container.start();
    const restarted = daemon.restart();
    // The daemon is gone (its socket refuses): only now is the removal asked for.
    for (let answered = true; answered; ) {
      answered = await docker.ping().then(() => true, () => false);
      if (answered) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const removed = await removeContainer(container);
    await restarted;
    expect(removed).toBe(true);
    expect(await docker.listContainers({ all: true })).toEqual([]);
  }, 180_000);

  it("a container already gone is removed; a daemon that never answers is given up after the patience, without throwing", async () => {
    const container = await docker.createContainer({ Image: "ponyci/python:3.11", Cmd: ["true"], HostConfig: { NetworkMode: "none" } });
    await container.remove();
    expect(await removeContainer(container)).toBe(true);
    const nowhere = new Docker({ socketPath: `${daemon.dir}/no-such.sock` }).getContainer(container.id);
    expect(await removeContainer(nowhere, { patienceMs: 1_000 })).toBe(false);
  }, 60_000);
});

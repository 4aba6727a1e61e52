/**
 * Issue 22: the toolchain's derived images (ponyci/toolchain-build:*,
 * ponyci/toolchain-runtime:*) are garbage-collector items like other caches:
 * kept while a container uses them, removed (by tag, never by id) when over
 * budget. Real Docker; the test's own tag on a base image, so nothing of
 * another test's is listed or removed.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type Docker from "dockerode";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { collectGarbage } from "../../src/gc/collect-garbage.js";
import { createToolchainImageSource } from "../../runner/src/gc/list-toolchain-image-items.js";
import { formatGcReport } from "../../src/gc/format-gc-report.js";

const BASE = "ponyci/python:3.12";
const TAG = `gc-test-${process.pid}-${Date.now()}`;
const NAME = `ponyci/toolchain-runtime:${TAG}`;

describe("toolchain images in garbage collection", () => {
  let docker: Docker;
  const source = () => createToolchainImageSource({ docker, matches: (tag) => tag === NAME });

  beforeAll(async () => {
    docker = createDocker();
    await docker.getImage(BASE).tag({ repo: "ponyci/toolchain-runtime", tag: TAG });
  });
  afterAll(async () => {
    await docker.getImage(NAME).remove().catch(() => undefined);
  });

  it("lists the image, in use while a container was made from it, and removes only its tag when over budget", async () => {
    const [item] = await source().list();
    expect(item).toMatchObject({ kind: "image", id: NAME, inUse: false });
    expect(item!.bytes).toBeGreaterThan(0);

    const container = await docker.createContainer({ Image: NAME, Cmd: ["true"], Labels: { "ponyci.test": "toolchain-gc" }, HostConfig: { NetworkMode: "none" } });
    try {
      expect((await source().list())[0]).toMatchObject({ id: NAME, inUse: true });
      const kept = await collectGarbage({ sources: [source()], budgetBytes: 0, graceMs: 0 });
      expect(kept.kinds.image).toMatchObject({ count: 1, removed: 0, inUse: 1 });
    } finally {
      await container.remove({ force: true });
    }

    const report = await collectGarbage({ sources: [source()], budgetBytes: 0, graceMs: 0 });
    expect(report.kinds.image).toMatchObject({ count: 1, removed: 1 });
    expect(formatGcReport(report)).toContain("toolchain images");
    expect(await source().list()).toEqual([]);
    // Untagged by name: the base image it shared an id with is still there.
    await expect(docker.getImage(BASE).inspect()).resolves.toBeDefined();
  });
});

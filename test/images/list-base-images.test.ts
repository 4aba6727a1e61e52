import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { listBaseImages } from "../../runner/src/remote/detect-pythons.js";

/**
 * Issue 21: with several base images for one Python, the one a cell gets
 * does not depend on the order Docker lists them: the operator's named
 * image (PONYCI_PYTHON_IMAGES), then Pony CI's own, then the first tag.
 * Python 3.98 and PyPy 3.98: no Django supports them, so no other test's
 * planning sees these empty images while they exist.
 */
const OWN = "ponyci/python:3.98";
const OPERATOR = "ponyci-test-zz/registry-python:3.98";
const OTHER = "ponyci-test-aa/python:3.98";
const PYPY = "ponyci/pypy:3.98";
const ALL = [OWN, OPERATOR, OTHER, PYPY];

/** An empty image labelled as a base image (nothing in it runs here). */
async function labelledImage(tag: string, implementation: string): Promise<void> {
  await execa("bash", ["-c", `tar -cf - -T /dev/null | docker import --change 'LABEL org.ponyci.base=1 org.ponyci.python=3.98 org.ponyci.implementation=${implementation} org.ponyci.origin=test' - ${tag}`]);
}

describe("listBaseImages with several images for one Python", () => {
  const docker = createDocker();
  beforeAll(async () => {
    // Created in an order that is neither the preferred one nor alphabetical.
    await labelledImage(OPERATOR, "cpython");
    await labelledImage(OWN, "cpython");
    await labelledImage(OTHER, "cpython");
    await labelledImage(PYPY, "pypy");
  });
  afterAll(async () => {
    await execa("docker", ["image", "rm", "-f", ...ALL], { reject: false });
  });

  const ofTest = async (pythonImages?: Record<string, string>) => (await listBaseImages(docker, { pythonImages })).filter((i) => i.python === "3.98");

  it("prefers the operator's named image, then Pony CI's own, and keeps PyPy apart under its own name", async () => {
    expect(await ofTest({ "3.98": OPERATOR })).toEqual([
      { image: OPERATOR, python: "3.98", implementation: "cpython", name: "3.98", origin: "test" },
      { image: PYPY, python: "3.98", implementation: "pypy", name: "pypy3.98", origin: "test" },
    ]);
    expect((await ofTest()).map((i) => i.image)).toEqual([OWN, PYPY]);
    // The same answer every time.
    expect((await ofTest()).map((i) => i.image)).toEqual([OWN, PYPY]);
  });

  it("without either, takes the first tag in alphabetical order", async () => {
    await execa("docker", ["image", "rm", OWN]);
    expect((await ofTest()).map((i) => i.image)).toEqual([OTHER, PYPY]);
    expect((await ofTest({ "pypy3.98": "ponyci-test-none/pypy:3.98" })).map((i) => i.image)).toEqual([OTHER, PYPY]);
  });
});

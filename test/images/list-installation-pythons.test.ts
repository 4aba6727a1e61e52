import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { listInstallationPythons } from "../../runner/src/images/list-obtainable-pythons.js";
import { listBaseImages } from "../../runner/src/remote/detect-pythons.js";
import { loadSettings } from "../../src/settings/load-settings.js";

/** What the planner and a runner count as this host's Pythons: its images, and what it can add on a cell's first need. */
describe("listInstallationPythons", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ponyci-pythons-"));
    await mkdir(path.join(dir, "pyenv", "versions", "3.7.16"), { recursive: true });
    await mkdir(path.join(dir, "pyenv", "versions", "3.19.2"), { recursive: true });
    await mkdir(path.join(dir, "pyenv", "versions", "2.7.18"), { recursive: true });
    await mkdir(path.join(dir, "uv", "cpython-3.21.0-linux-x86_64-gnu"), { recursive: true });
    await mkdir(path.join(dir, "uv", "cpython-3.22.0+freethreaded-linux-x86_64-gnu"), { recursive: true });
    await mkdir(path.join(dir, "cache"));
    // add-python-image.sh's reading of two suites: "suite default-python3 X.Y…".
    await writeFile(path.join(dir, "cache", "debian-sid-amd64.pythons"), "sid 3.17 3.16 3.17 3.18\n");
    await writeFile(path.join(dir, "cache", "debian-old-amd64.pythons"), "old 3.16 3.16\n");
    // Its reading of a suite's pypy3 after a build ("suite X.Y"): over the shipped runner/images/debian-pypys.txt.
    await writeFile(path.join(dir, "cache", "debian-trixie-amd64.pypy"), "trixie 3.17\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("lists the host's base images by their labels, and what it can add: the operator's image, a Debian suite (the one whose python3 it is first), a pyenv CPython", async () => {
    const docker = createDocker();
    const images = await listBaseImages(docker);
    const pythons = await listInstallationPythons({ docker, imagesCache: path.join(dir, "cache"), pyenvRoot: path.join(dir, "pyenv"), uvPythonDir: path.join(dir, "uv"), pythonImages: { "3.20": "registry.example/python:3.20" } });
    expect(pythons.installed).toEqual(images);
    // The stock images of the test machines (runner/host/setup.sh) are found with what their labels say.
    expect(pythons.installed).toEqual(expect.arrayContaining([expect.objectContaining({ image: "ponyci/python:3.11", python: "3.11", implementation: "cpython", libc: expect.stringMatching(/^glibc /), origin: "debian:bookworm" })]));
    expect(pythons.obtainable).toEqual([
      { python: "3.16", origin: "debian:old" },
      { python: "3.17", origin: "debian:sid" },
      { python: "3.18", origin: "debian:sid" },
      { python: "3.19", origin: `host:${path.join(dir, "pyenv", "versions", "3.19.2")}` },
      { python: "3.20", origin: "operator:registry.example/python:3.20" },
      { python: "3.21", origin: `host:${path.join(dir, "uv", "cpython-3.21.0-linux-x86_64-gnu")}` },
      ...(images.some((i) => i.name === "3.7") ? [] : [{ python: "3.7", origin: `host:${path.join(dir, "pyenv", "versions", "3.7.16")}` }]),
      // PyPy: bookworm's pypy3 from the shipped list, trixie's as read here; unstable's 3.11 is what the shipped list says of it.
      ...(images.some((i) => i.name === "pypy3.9") ? [] : [{ python: "pypy3.9", origin: "debian:bookworm" }]),
      ...(images.some((i) => i.name === "pypy3.11") ? [] : [{ python: "pypy3.11", origin: "debian:testing" }]),
      { python: "pypy3.17", origin: "debian:trixie" },
    ].sort((a, b) => Number(a.python.startsWith("pypy")) - Number(b.python.startsWith("pypy")) || Number(a.python.split(".")[1]) - Number(b.python.split(".")[1])));
    expect(pythons.versions).toEqual(expect.arrayContaining(["3.11", "3.16", "3.17", "3.18", "3.19", "3.20", "3.7"]));
    expect(pythons.versions).toEqual(expect.arrayContaining(["pypy3.9", "pypy3.11", "pypy3.17"]));
    expect(pythons.versions.indexOf("pypy3.9")).toBeGreaterThan(pythons.versions.indexOf("3.21"));
    expect(pythons.versions).not.toContain("2.7");
  });

  it("reads PONYCI_PYTHON_IMAGES as VERSION=IMAGE pairs and refuses anything else", () => {
    expect(loadSettings({ PONYCI_PYTHON_IMAGES: "3.12=registry.example/python:3.12-slim, 3.10=mirror.local:5000/py@sha256:abc" }, "run").pythonImages).toEqual({ "3.12": "registry.example/python:3.12-slim", "3.10": "mirror.local:5000/py@sha256:abc" });
    expect(loadSettings({ PONYCI_PYTHON_IMAGES: "pypy3.11=registry.example/pypy:3.11-slim" }, "run").pythonImages).toEqual({ "pypy3.11": "registry.example/pypy:3.11-slim" });
    expect(() => loadSettings({ PONYCI_PYTHON_IMAGES: "pypy2.7=registry.example/pypy:2.7" }, "run")).toThrow(/is not VERSION=IMAGE/);
    expect(() => loadSettings({ PONYCI_PYTHON_IMAGES: "3.12=$(rm -rf /)" }, "run")).toThrow(/PONYCI_PYTHON_IMAGES: "3.12=\$\(rm -rf \/\)" is not VERSION=IMAGE/);
  });
});

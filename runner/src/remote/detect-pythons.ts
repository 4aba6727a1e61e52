import type Docker from "dockerode";
import { compareVersions } from "../../../src/domain/compare-versions.js";

/** A Python base image this Docker host has, as its labels describe it. */
export interface BaseImage {
  /** A tag of the image ("ponyci/python:3.12"), else its id. */
  image: string;
  /** "3.X" (org.ponyci.python). */
  python: string;
  /** org.ponyci.implementation: "cpython" (default) or "pypy". */
  implementation: "cpython" | "pypy";
  /** org.ponyci.libc + org.ponyci.libc-version ("glibc 2.36"), when the image says. */
  libc?: string;
  /** Where it came from (org.ponyci.origin, else the Debian suite): "debian:bookworm", "host:/root/.pyenv/versions/3.12.1", "registry:python:3.12-slim", "operator". */
  origin?: string;
}

const PYTHON = /^3\.\d{1,2}$/;

/**
 * The base images this Docker host has: images labelled org.ponyci.base=1
 * (runner/images/build-base-images.sh and `ponyci images add` label what
 * they build) and, for images built before the labels, tags
 * `ponyci/python:X.Y`. Sorted by Python version, CPython first.
 */
export async function listBaseImages(docker: Docker, repository = "ponyci/python"): Promise<BaseImage[]> {
  const found = new Map<string, BaseImage>();
  const labelled = await docker.listImages({ filters: { label: ["org.ponyci.base=1"] } });
  for (const image of labelled) {
    const labels = image.Labels ?? {};
    const python = labels["org.ponyci.python"];
    if (!python || !PYTHON.test(python)) continue;
    const implementation = labels["org.ponyci.implementation"] === "pypy" ? "pypy" : "cpython";
    const libc = labels["org.ponyci.libc"] ? `${labels["org.ponyci.libc"]} ${labels["org.ponyci.libc-version"] ?? ""}`.trim() : undefined;
    const origin = labels["org.ponyci.origin"] ?? (labels["org.ponyci.suite"] ? `debian:${labels["org.ponyci.suite"]}` : undefined);
    const tag = (image.RepoTags ?? []).find((t) => t !== "<none>:<none>") ?? image.Id;
    found.set(`${implementation}-${python}`, { image: tag, python, implementation, ...(libc ? { libc } : {}), ...(origin ? { origin } : {}) });
  }
  const tagged = await docker.listImages({ filters: { reference: [repository] } });
  for (const image of tagged) {
    for (const tag of image.RepoTags ?? []) {
      const python = /:(3\.\d{1,2})$/.exec(tag)?.[1];
      if (tag.startsWith(`${repository}:`) && python && !found.has(`cpython-${python}`)) found.set(`cpython-${python}`, { image: tag, python, implementation: "cpython" });
    }
  }
  return [...found.values()].sort((a, b) => a.implementation.localeCompare(b.implementation) || compareVersions(a.python, b.python));
}

/**
 * The CPython versions this Docker host can run: those of its base images
 * (listBaseImages). A runner advertises them and takes only cells of those versions.
 */
export async function detectPythons(docker: Docker, repository = "ponyci/python"): Promise<string[]> {
  const images = await listBaseImages(docker, repository);
  return images.filter((i) => i.implementation === "cpython").map((i) => i.python);
}

import type Docker from "dockerode";
import { comparePythonNames, formatPythonName } from "../../../src/domain/python-name.js";

/** A Python base image this Docker host has, as its labels describe it. */
export interface BaseImage {
  /** A tag of the image ("ponyci/python:3.12"), else its id. */
  image: string;
  /** "3.X" (org.ponyci.python): the language version, PyPy's too. */
  python: string;
  /** org.ponyci.implementation: "cpython" (default) or "pypy". */
  implementation: "cpython" | "pypy";
  /** The cell's name for it: "3.12", or "pypy3.11" for PyPy (src/domain/python-name.ts). */
  name: string;
  /** org.ponyci.libc + org.ponyci.libc-version ("glibc 2.36"), when the image says. */
  libc?: string;
  /** Where it came from (org.ponyci.origin, else the Debian suite): "debian:bookworm", "host:/root/.pyenv/versions/3.12.1", "registry:python:3.12-slim", "operator". */
  origin?: string;
}

/** Options for {@link listBaseImages}. */
export interface ListBaseImagesOptions {
  /** Repository of unlabelled CPython images (tags X.Y); default "ponyci/python". */
  repository?: string;
  /** PONYCI_PYTHON_IMAGES: the operator's image per name ("3.12", "pypy3.11"); it wins over any other of that name. */
  pythonImages?: Readonly<Record<string, string>>;
}

const PYTHON = /^3\.\d{1,2}$/;

/**
 * The base images this Docker host has: images labelled org.ponyci.base=1
 * (runner/images/build-base-images.sh and `ponyci images add` label what
 * they build) and, for images built before the labels, tags
 * `ponyci/python:X.Y`. One per name, the same whatever order Docker lists
 * them in: the operator's named image (PONYCI_PYTHON_IMAGES), then Pony CI's
 * own (`ponyci/python:X.Y`, `ponyci/pypy:X.Y`), then the first tag in
 * alphabetical order. Sorted CPython first, then PyPy, each by version.
 */
export async function listBaseImages(docker: Docker, options: ListBaseImagesOptions = {}): Promise<BaseImage[]> {
  const repository = options.repository ?? "ponyci/python";
  const candidates: BaseImage[] = [];
  const labelled = await docker.listImages({ filters: { label: ["org.ponyci.base=1"] } });
  for (const image of labelled) {
    const labels = image.Labels ?? {};
    const python = labels["org.ponyci.python"];
    if (!python || !PYTHON.test(python)) continue;
    const implementation = labels["org.ponyci.implementation"] === "pypy" ? "pypy" : "cpython";
    const libc = labels["org.ponyci.libc"] ? `${labels["org.ponyci.libc"]} ${labels["org.ponyci.libc-version"] ?? ""}`.trim() : undefined;
    const origin = labels["org.ponyci.origin"] ?? (labels["org.ponyci.suite"] ? `debian:${labels["org.ponyci.suite"]}` : undefined);
    const tags = (image.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
    for (const tag of tags.length > 0 ? tags : [image.Id]) {
      candidates.push({ image: tag, python, implementation, name: formatPythonName(implementation, python), ...(libc ? { libc } : {}), ...(origin ? { origin } : {}) });
    }
  }
  const tagged = await docker.listImages({ filters: { reference: [repository] } });
  for (const image of tagged) {
    for (const tag of image.RepoTags ?? []) {
      const python = /:(3\.\d{1,2})$/.exec(tag)?.[1];
      if (tag.startsWith(`${repository}:`) && python && !candidates.some((c) => c.image === tag)) candidates.push({ image: tag, python, implementation: "cpython", name: python });
    }
  }
  const rank = (c: BaseImage): number => (options.pythonImages?.[c.name] === c.image ? 0 : c.image === ownImage(c) ? 1 : 2);
  const chosen = new Map<string, BaseImage>();
  for (const c of candidates.sort((a, b) => rank(a) - rank(b) || (a.image < b.image ? -1 : a.image > b.image ? 1 : 0))) {
    if (!chosen.has(c.name)) chosen.set(c.name, c);
  }
  return [...chosen.values()].sort((a, b) => comparePythonNames(a.name, b.name));
}

/** The tag Pony CI builds for a name: ponyci/python:3.12, ponyci/pypy:3.11. */
export function ownImage(image: Pick<BaseImage, "implementation" | "python">): string {
  return `ponyci/${image.implementation === "pypy" ? "pypy" : "python"}:${image.python}`;
}

/**
 * The Pythons this Docker host can run, by name ("3.12", "pypy3.11"): those
 * of its base images (listBaseImages). A runner's health checks they stay.
 */
export async function detectPythons(docker: Docker, options: ListBaseImagesOptions = {}): Promise<string[]> {
  return (await listBaseImages(docker, options)).map((i) => i.name);
}

import { readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import { compareVersions } from "../../../src/domain/compare-versions.js";
import { comparePythonNames, formatPythonName, parsePythonName } from "../../../src/domain/python-name.js";
import { listBaseImages, type BaseImage } from "../remote/detect-pythons.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** runner/images, from the sources or from dist/. */
export const IMAGES_DIR = path.resolve(HERE, HERE.includes(`${path.sep}dist${path.sep}`) ? "../../../../runner/images" : "../../images");

/** How a Python this host has no image for yet would be built (add-python-image.sh). */
export interface ObtainablePython {
  /** Its name: "3.12", or "pypy3.11" for PyPy (src/domain/python-name.ts). */
  python: string;
  /** "operator:<image>", "debian:<suite>", "host:<prefix>". */
  origin: string;
}

/** What the installation has and what it can add on a cell's first need. */
export interface InstallationPythons {
  installed: BaseImage[];
  obtainable: ObtainablePython[];
  /** Names of both ("3.12", "pypy3.11"), CPython first: the planner's list. */
  versions: string[];
}

export interface ListPythonsOptions {
  docker: Docker;
  /** Where add-python-image.sh keeps the Debian suites' Python lists (PONYCI_DATA_DIR/images). */
  imagesCache: string;
  /** The operator's image per Python name (PONYCI_PYTHON_IMAGES: "3.12", "pypy3.11"). */
  pythonImages?: Readonly<Record<string, string>>;
  /** pyenv's root; default ~/.pyenv. */
  pyenvRoot?: string;
  /** uv's managed Pythons; default ~/.local/share/uv/python. */
  uvPythonDir?: string;
}

const PYTHON = /^3\.\d{1,2}$/;

/**
 * The Pythons of this installation: base images it has (by their labels),
 * and those it can build on first need without a registry, in the order
 * add-python-image.sh tries them: an image the operator named, a Debian
 * suite that ships it (from the suites' package lists that script read last,
 * else the list shipped in runner/images/debian-pythons.txt), a CPython under
 * pyenv or uv; PyPy from a Debian suite's pypy3 (its reading after a build,
 * else runner/images/debian-pypys.txt). Reads only local files and the Docker
 * daemon: cheap enough for every planning.
 */
export async function listInstallationPythons(options: ListPythonsOptions): Promise<InstallationPythons> {
  const installed = await listBaseImages(options.docker, { pythonImages: options.pythonImages }).catch(() => []);
  const have = new Set(installed.map((i) => i.name));
  const obtainable = new Map<string, ObtainablePython>();
  const offer = (python: string, origin: string) => {
    if (parsePythonName(python) && !have.has(python) && !obtainable.has(python)) obtainable.set(python, { python, origin });
  };
  for (const [python, image] of Object.entries(options.pythonImages ?? {})) offer(python, `operator:${image}`);
  for (const [python, suite] of await readDebianPythons(options.imagesCache)) offer(python, `debian:${suite}`);
  for (const [python, suite] of await readDebianPyPys(options.imagesCache)) offer(formatPythonName("pypy", python), `debian:${suite}`);
  const pyenv = path.join(options.pyenvRoot ?? path.join(homedir(), ".pyenv"), "versions");
  for (const name of (await readdir(pyenv).catch(() => [])).sort(compareVersions)) {
    const python = /^(3\.\d{1,2})\.\d+$/.exec(name)?.[1];
    if (python) offer(python, `host:${path.join(pyenv, name)}`);
  }
  const uvDir = options.uvPythonDir ?? path.join(homedir(), ".local", "share", "uv", "python");
  for (const name of (await readdir(uvDir).catch(() => [])).sort(compareVersions)) {
    const python = /^cpython-(3\.\d{1,2})\.\d+-linux-(?!.*freethreaded)/.exec(name)?.[1];
    if (python) offer(python, `host:${path.join(uvDir, name)}`);
  }
  const versions = [...new Set([...have, ...obtainable.keys()])].sort(comparePythonNames);
  return { installed, obtainable: [...obtainable.values()].sort((a, b) => comparePythonNames(a.python, b.python)), versions };
}

/** PyPy's language version → the first Debian suite (in the shipped list's order) whose pypy3 implements it: add-python-image.sh's readings ("suite X.Y") over the shipped runner/images/debian-pypys.txt. */
async function readDebianPyPys(cacheDir: string): Promise<Map<string, string>> {
  const read = new Map<string, string>();
  const add = (text: string) => {
    for (const line of text.split("\n")) {
      const [suite, python] = line.trim().split(/\s+/);
      if (suite && python && /^[a-z]+$/.test(suite) && PYTHON.test(python)) read.set(suite, python);
    }
  };
  add(await readFile(path.join(IMAGES_DIR, "debian-pypys.txt"), "utf8").catch(() => ""));
  for (const file of (await readdir(cacheDir).catch(() => [])).filter((f) => /^debian-[a-z]+-[a-z0-9]+\.pypy$/.test(f)).sort()) add(await readFile(path.join(cacheDir, file), "utf8").catch(() => ""));
  const found = new Map<string, string>();
  for (const [suite, python] of read) if (!found.has(python)) found.set(python, suite);
  return found;
}
/** Python version → the first Debian suite shipping it, from the cached lists ("suite default X.Y X.Y…"), else the shipped one. */
async function readDebianPythons(cacheDir: string): Promise<Map<string, string>> {
  const lines: string[] = [];
  const cached = (await readdir(cacheDir).catch(() => [])).filter((f) => /^debian-[a-z]+-[a-z0-9]+\.pythons$/.test(f));
  for (const file of cached) lines.push(...(await readFile(path.join(cacheDir, file), "utf8").catch(() => "")).split("\n"));
  if (lines.length === 0) lines.push(...(await readFile(path.join(IMAGES_DIR, "debian-pythons.txt"), "utf8").catch(() => "")).split("\n"));
  const found = new Map<string, string>();
  const rows = lines.map((line) => line.trim().split(/\s+/)).filter(([suite]) => suite && /^[a-z]+$/.test(suite));
  // A suite whose python3 it is comes first (its pip and venv packages go with it), then any that ships it.
  for (const [suite, def] of rows) if (suite && def && PYTHON.test(def) && !found.has(def)) found.set(def, suite);
  for (const [suite, , ...pythons] of rows) for (const python of pythons) if (suite && PYTHON.test(python) && !found.has(python)) found.set(python, suite);
  return found;
}

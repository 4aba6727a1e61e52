import { execa } from "execa";
import { homedir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { parsePythonName, pythonTitle } from "../../../src/domain/python-name.js";
import { listBaseImages, ownImage } from "../remote/detect-pythons.js";
import { DEFAULT_PATH } from "../../../src/domain/host-python.js";
import { IMAGES_DIR } from "./list-obtainable-pythons.js";

/** Where a cell's base image comes from ("3.12", "pypy3.11": src/domain/python-name.ts), and how its progress is shown. */
export type BaseImageProvider = (python: string, options?: { onLine?: (line: string) => void; signal?: AbortSignal }) => Promise<string>;

export interface BaseImageProviderOptions {
  docker: Docker;
  /** PONYCI_BASE_IMAGE: "auto", or a template such as "registry.example/python:{python}-slim" used as given. */
  template: string;
  /** PONYCI_PYTHON_IMAGES: the operator's image per Python version, used as given. */
  pythonImages?: Readonly<Record<string, string>>;
  /** Cache of add-python-image.sh (the Debian suites' Python lists). */
  imagesCache: string;
  /** Try `python:X.Y-slim` (PyPy: `pypy:3.X-slim`) from a registry before building; default true. */
  registry?: boolean;
  /** Longest a registry pull may take; default 5 min. */
  pullTimeoutMs?: number;
}

/**
 * The base image for a Python version, in the order an operator wants:
 * 1. the operator's image for that version (PONYCI_PYTHON_IMAGES), or a
 *    PONYCI_BASE_IMAGE template other than "auto" (CPython's: PyPy goes on);
 * 2. a base image this host has (labelled org.ponyci.base, or ponyci/python:X.Y;
 *    listBaseImages picks one per name);
 * 3. `python:X.Y-slim` (`pypy:3.X-slim`) when a registry answers;
 * 4. built now by runner/images/add-python-image.sh: a Debian suite that
 *    ships it (PyPy: Debian's pypy3), else a CPython already on the host.
 *    Built once per version at a time; its progress lines go to `onLine`
 *    (the cell's log).
 * @throws EnvironmentError "infrastructure" naming the version and the command that adds it.
 */
export function createBaseImageProvider(options: BaseImageProviderOptions): BaseImageProvider {
  const building = new Map<string, Promise<string>>();
  const pulled = new Set<string>();
  return async (python, call = {}) => {
    const named = options.pythonImages && Object.hasOwn(options.pythonImages, python) ? options.pythonImages[python] : undefined;
    if (named) return named;
    const parsed = parsePythonName(python);
    if (!parsed) throw new EnvironmentError("project", `Python "${python.slice(0, 40)}" is not understood: write it as major.minor ("3.12"), or pypy3.X for PyPy.`);
    if (options.template !== "auto" && parsed.implementation === "cpython") return options.template.replaceAll("{python}", python);
    const local = (await listBaseImages(options.docker, { pythonImages: options.pythonImages })).find((i) => i.name === python);
    if (local) return local.image;
    let pending = building.get(python);
    if (!pending) {
      pending = obtain(python, call).finally(() => building.delete(python));
      building.set(python, pending);
    }
    return pending;
  };

  async function obtain(python: string, call: { onLine?: (line: string) => void; signal?: AbortSignal }): Promise<string> {
    const say = (line: string) => call.onLine?.(`ponyci: ${line}`);
    const { implementation, version } = parsePythonName(python) ?? { implementation: "cpython", version: python };
    const slim = implementation === "pypy" ? `pypy:${version}-slim` : `python:${python}-slim`;
    const own = ownImage({ implementation, python: version });
    if (options.registry !== false && !pulled.has(slim)) {
      pulled.add(slim); // one try per process: a registry that did not answer is not asked again for each cell
      say(`no base image for ${pythonTitle(python)} on this host: trying ${slim} from the registry`);
      try {
        const stream = await options.docker.pull(slim);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("timed out")), options.pullTimeoutMs ?? 300_000);
          options.docker.modem.followProgress(stream, (err: Error | null) => (clearTimeout(timer), err ? reject(err) : resolve()));
        });
        say(`pulled ${slim}`);
        return slim;
      } catch (error) {
        say(`no registry answered (${(error as Error).message.split("\n")[0]?.slice(0, 160)}): building it here`);
      }
    }
    say(`building ${own} (runner/images/add-python-image.sh ${python}); this happens once`);
    const lines: string[] = [];
    const build = execa("bash", [path.join(IMAGES_DIR, "add-python-image.sh"), python], {
      reject: false,
      stdin: "ignore",
      stdout: "ignore",
      cancelSignal: call.signal,
      extendEnv: false,
      env: { PATH: DEFAULT_PATH, HOME: homedir(), PONYCI_IMAGES_CACHE: options.imagesCache, LANG: "C.UTF-8" },
    });
    for await (const line of build.iterable({ from: "stderr" })) {
      const text = String(line).slice(0, 500);
      lines.push(text);
      call.onLine?.(`ponyci: ${text}`);
    }
    const result = await build;
    if (result.isCanceled) throw new EnvironmentError("infrastructure", `Building the base image for ${pythonTitle(python)} was cancelled`);
    if (result.exitCode !== 0 && implementation === "pypy") {
      throw new EnvironmentError(
        "infrastructure",
        `No base image for PyPy ${version}: no registry answered and no Debian suite's pypy3 implements Python ${version} (${lines.slice(-3).join(" ")}). Name an image in PONYCI_PYTHON_IMAGES (pypy${version}=IMAGE).`,
      );
    }
    if (result.exitCode !== 0) {
      throw new EnvironmentError(
        "infrastructure",
        `No base image for Python ${python}: no registry answered, no Debian suite ships it and this host has no such CPython (${lines.slice(-3).join(" ")}). Add one with \`ponyci images add ${python} --prefix DIR\` (a CPython ${python} installation), or name an image in PONYCI_PYTHON_IMAGES.`,
      );
    }
    return own;
  }
}

import type Docker from "dockerode";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describeError, CancelledError } from "../../../src/domain/errors.js";
import { classifyPipFailure } from "./classify-pip-failure.js";
import { EnvironmentError } from "./environment-error.js";
import { fetchSdist as defaultFetchSdist } from "./fetch-sdist.js";
import { linkIntoDir } from "./link-into-dir.js";
import { normalizeName } from "./parse-requirement-line.js";
import type { PipRunner } from "./run-pip.js";
import { readTomlStringArrays } from "./read-toml-string-arrays.js";
import { runBuildContainer } from "./run-build-container.js";

/** Source distributions built per environment before giving up. */
export const MAX_SDIST_BUILDS = 5;
/** What setuptools' legacy backend needs when an sdist has no pyproject.toml. */
const DEFAULT_BUILD_REQUIRES = ["setuptools>=40.8.0", "wheel"];

export interface DownloadWheelsOptions {
  runPip: PipRunner;
  docker: Docker;
  /** Base image: where source distributions are built, offline. */
  image: string;
  python: string;
  /** From pipTargetArgs(). */
  targetArgs: string[];
  django: string;
  requirements: string[];
  constraintsFile?: string;
  /** Fresh directory: receives exactly the resolved set of wheels. */
  dest: string;
  /** Shared wheel cache: looked in first, and fed with every download and build. */
  wheelsDir: string;
  /** Scratch space for sdists and build requirements (removed by the caller). */
  scratchDir: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  fetchSdist?: typeof defaultFetchSdist;
}

/**
 * Download (on the host, through pip) Django and the requirements as wheels
 * for the target interpreter into `dest`. A requirement with no usable wheel
 * is fetched as a source distribution and built into a wheel inside a
 * no-network container from the base image, then resolution is retried.
 * Resolves the file names in `dest`. Throws EnvironmentError: "project" for
 * requirements that cannot be met, "infrastructure" for index/disk/Docker trouble.
 */
export async function downloadWheels(options: DownloadWheelsOptions): Promise<string[]> {
  const fetchSdist = options.fetchSdist ?? defaultFetchSdist;
  await mkdir(options.wheelsDir, { recursive: true });
  const built = new Set<string>();
  const pip = async (dest: string, specs: string[], extra: string[] = []) => {
    await rm(dest, { recursive: true, force: true });
    await mkdir(dest, { recursive: true });
    const args = ["download", "--dest", dest, "--find-links", options.wheelsDir, "--progress-bar", "off", ...options.targetArgs, ...extra, ...specs];
    return options.runPip(args, { signal: options.signal, onLine: options.onLine });
  };
  for (;;) {
    const constraints = options.constraintsFile ? ["-c", options.constraintsFile] : [];
    const result = await pip(options.dest, [`django==${options.django}`, ...options.requirements], constraints);
    if (result.exitCode === 0) {
      await linkIntoDir(options.dest, options.wheelsDir);
      return (await readdir(options.dest)).filter((n) => !n.endsWith(".part")).sort();
    }
    const failure = classifyPipFailure(result.lines, { python: options.python });
    const missing = failure.missing?.replace(/\s+\(from .*\)$/, "").trim();
    const name = missing ? normalizeName(/^[A-Za-z0-9._-]+/.exec(missing)?.[0] ?? missing) : undefined;
    if (failure.kind !== "project" || !missing || !name || built.has(name) || built.size >= MAX_SDIST_BUILDS) {
      throw new EnvironmentError(failure.kind, failure.message);
    }
    built.add(name);
    options.onLine?.(`ponyci: no wheel of ${missing} for Python ${options.python}; trying its source distribution`);
    await buildFromSdist(missing, failure.message);
  }

  async function buildFromSdist(requirement: string, notFoundMessage: string): Promise<void> {
    const sdistDir = await mkdtemp(join(options.scratchDir, "sdist-"));
    const depsDir = join(sdistDir, "build-deps");
    const outDir = join(sdistDir, "out");
    const srcDir = join(sdistDir, "src");
    await Promise.all([mkdir(outDir), mkdir(srcDir)]);
    let sdist;
    try {
      sdist = await fetchSdist(requirement, { python: options.python, dest: srcDir, signal: options.signal });
    } catch (error) {
      if (error instanceof CancelledError) throw error;
      throw new EnvironmentError("infrastructure", `Could not fetch the source distribution of ${requirement}: ${describeError(error)}`, { cause: error });
    }
    if (!sdist) throw new EnvironmentError("project", notFoundMessage);
    const declared = sdist.pyproject ? readTomlStringArrays(sdist.pyproject).get("build-system.requires")?.strings : undefined;
    const buildRequires = [...new Set([...(declared ?? DEFAULT_BUILD_REQUIRES), "wheel"])];
    const deps = await pip(depsDir, buildRequires);
    if (deps.exitCode !== 0) {
      const f = classifyPipFailure(deps.lines, { python: options.python });
      throw new EnvironmentError(f.kind, `${sdist.file} has no wheel, and its build requirements cannot be fetched: ${f.message}`);
    }
    await linkIntoDir(depsDir, options.wheelsDir);
    const log: string[] = [];
    const { exitCode } = await runBuildContainer(
      options.docker,
      {
        image: options.image,
        script: `set -e; python3 -m venv /tmp/build; /tmp/build/bin/python -m pip wheel --disable-pip-version-check --progress-bar off --no-index --find-links /build-deps --no-deps --wheel-dir /out '/src/${sdist.file}'`,
        binds: [`${srcDir}:/src:ro`, `${depsDir}:/build-deps:ro`, `${outDir}:/out`],
      },
      {
        signal: options.signal,
        onLine: (line) => {
          log.push(line);
          options.onLine?.(line);
        },
      },
    );
    const wheels = (await readdir(outDir)).filter((n) => n.endsWith(".whl"));
    if (exitCode !== 0 || wheels.length === 0) {
      throw new EnvironmentError(
        "project",
        `${requirement} has no wheel for Python ${options.python}, and its source distribution ${sdist.file} did not build ` +
          `(offline, without compilers): pin a version that ships wheels, or drop it.\n${log.filter((l) => /error/i.test(l)).slice(-8).join("\n") || log.slice(-8).join("\n")}`,
      );
    }
    await linkIntoDir(outDir, options.wheelsDir);
    options.onLine?.(`ponyci: built ${wheels.join(", ")} from ${sdist.file}`);
  }
}

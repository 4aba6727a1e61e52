import type Docker from "dockerode";
import { chown, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describeError, CancelledError } from "../../../src/domain/errors.js";
import { classifyPipFailure } from "./classify-pip-failure.js";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { fetchSdist as defaultFetchSdist, type FetchedSdist } from "./fetch-sdist.js";
import type { HostPython } from "../../../src/domain/host-python.js";
import { linkIntoDir } from "./link-into-dir.js";
import { normalizeName, normalizeRequirement, parseRequirement, RequirementSyntaxError } from "../../../src/domain/parse-requirement.js";
import { readPyproject } from "../../../src/domain/read-pyproject.js";
import { RequirementsError } from "../../../src/domain/requirements-error.js";
import type { PipRunner } from "./run-pip.js";
import { runBuildContainer, type BuildContainerLimits } from "./run-build-container.js";
import { eq } from "@renovatebot/pep440";

/** Source distributions built per environment before giving up. */
export const MAX_SDIST_BUILDS = 5;
/** What setuptools' legacy backend needs when an sdist has no pyproject.toml. */
const DEFAULT_BUILD_REQUIRES = ["setuptools>=40.8.0", "wheel"];

export interface DownloadWheelsOptions {
  runPip: PipRunner;
  docker: Docker;
  /** Base image: where source distributions are built, offline (unless `sdistImage`). */
  image: string;
  /**
   * The image source distributions are built in, asked only when one must
   * be built (the toolchain image: a compiler and the headers, built once,
   * lazily; see toolchain/create-toolchain-images.ts). Default: `image`.
   */
  sdistImage?: () => Promise<string>;
  python: string;
  /** From pipTargetArgs(). */
  targetArgs: string[];
  django: string;
  requirements: string[];
  constraintsFile?: string;
  /** Fresh directory: receives exactly the resolved set of wheels. */
  dest: string;
  /** Shared wheel cache: looked in first, and fed with every wheel downloaded from the index (pip checks each against the index's sha256). */
  wheelsDir: string;
  /**
   * This repository's own cache of wheels built from source distributions:
   * looked in too, and the only place a built wheel goes, so what one
   * repository's build produced never reaches another repository.
   */
  builtWheelsDir: string;
  /** The operator's index and CA (source distributions are fetched from it). */
  host: HostPython;
  /** Limits of the container a source distribution is built in. */
  buildLimits: BuildContainerLimits;
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
  await mkdir(options.builtWheelsDir, { recursive: true });
  const built = new Set<string>();
  /** Every spec is re-serialised from a strict parse here, whoever produced it, and goes after "--". */
  const pip = async (dest: string, specs: string[], extra: string[] = []) => {
    await rm(dest, { recursive: true, force: true });
    await mkdir(dest, { recursive: true });
    const requirements = specs.map((spec) => normalizeRequirement(spec));
    const args = ["download", "--dest", dest, "--find-links", options.wheelsDir, "--find-links", options.builtWheelsDir, ...options.targetArgs, ...extra, "--", ...requirements];
    return options.runPip(args, { signal: options.signal, onLine: options.onLine });
  };
  for (;;) {
    const constraints = options.constraintsFile ? ["-c", options.constraintsFile] : [];
    const result = await pip(options.dest, [`django==${options.django}`, ...options.requirements], constraints);
    if (result.exitCode === 0) {
      await linkIntoDir(options.dest, options.wheelsDir, { skip: await builtNames() });
      return (await readdir(options.dest)).filter((n) => !n.endsWith(".part")).sort();
    }
    const failure = classifyPipFailure(result.lines, { python: options.python });
    const missing = failure.missing?.replace(/\s+\(from .*\)$/, "").trim();
    const requirement = missing ? parseOrUndefined(missing) : undefined;
    if (failure.kind !== "project" || !missing || !requirement || built.has(requirement.name) || built.size >= MAX_SDIST_BUILDS) {
      throw new EnvironmentError(failure.kind, failure.message);
    }
    built.add(requirement.name);
    options.onLine?.(`ponyci: no wheel of ${missing} for Python ${options.python}; trying its source distribution`);
    await buildFromSdist(requirement, failure.message);
  }

  async function builtNames(): Promise<Set<string>> {
    return new Set(await readdir(options.builtWheelsDir));
  }

  async function buildFromSdist(requirement: ReturnType<typeof parseRequirement>, notFoundMessage: string): Promise<void> {
    const sdistDir = await mkdtemp(join(options.scratchDir, "sdist-"));
    const depsDir = join(sdistDir, "build-deps");
    const outDir = join(sdistDir, "out");
    const srcDir = join(sdistDir, "src");
    await Promise.all([mkdir(outDir), mkdir(srcDir)]);
    let sdist;
    try {
      sdist = await fetchSdist(requirement, { python: options.python, dest: srcDir, host: options.host, signal: options.signal });
    } catch (error) {
      if (error instanceof CancelledError) throw error;
      throw new EnvironmentError("infrastructure", `Could not fetch the source distribution of ${requirement.name}: ${describeError(error)}`, { cause: error });
    }
    if (!sdist) throw new EnvironmentError("project", notFoundMessage);
    const buildRequires = [...new Set([...readBuildRequires(sdist), "wheel"])];
    const deps = await pip(depsDir, buildRequires);
    if (deps.exitCode !== 0) {
      const f = classifyPipFailure(deps.lines, { python: options.python });
      throw new EnvironmentError(f.kind, `${sdist.file} has no wheel, and its build requirements cannot be fetched: ${f.message}`);
    }
    await linkIntoDir(depsDir, options.wheelsDir, { skip: await builtNames() });
    const log: string[] = [];
    // The build runs the sdist's own code: the test container's hardening, as an unprivileged user.
    await chown(outDir, BUILD_UID, BUILD_UID);
    const image = options.sdistImage ? await options.sdistImage() : options.image;
    options.onLine?.(`ponyci: building ${sdist.file} (no wheel for Python ${options.python})`);
    const { exitCode, timedOut } = await runBuildContainer(
      options.docker,
      {
        image,
        script: `set -e; python3 -m venv /tmp/build; /tmp/build/bin/python -m pip wheel --disable-pip-version-check --progress-bar off --use-pep517 --no-index --find-links /build-deps --no-deps --wheel-dir /out '/src/${sdist.file.replace(/'/g, "")}'`,
        binds: [`${srcDir}:/src:ro`, `${depsDir}:/build-deps:ro`, `${outDir}:/out`],
        env: ["HOME=/tmp", "PIP_NO_CACHE_DIR=1"],
        untrusted: { user: `${BUILD_UID}:${BUILD_UID}`, limits: options.buildLimits },
      },
      {
        signal: options.signal,
        onLine: (line) => {
          log.push(line);
          if (log.length > 200) log.shift(); // the end names the cause
          options.onLine?.(line);
        },
      },
    );
    const wheel = await keepMatchingWheel(outDir, sdist, options.onLine);
    if (timedOut) {
      throw new EnvironmentError("project", `Building ${sdist.file} did not finish within ${options.buildLimits.timeoutSec} s: pin a version of ${requirement.name} that ships wheels.`);
    }
    if (exitCode !== 0 || !wheel) {
      throw new EnvironmentError(
        "project",
        `${requirement.name} has no wheel for Python ${options.python}, and its source distribution ${sdist.file} did not build ` +
          `(offline, ${options.sdistImage ? "with Pony CI's build toolchain" : "without compilers"}): pin a version that ships wheels, or drop it. The build's last lines:\n${compilerTail(log)}`,
      );
    }
    await linkIntoDir(outDir, options.builtWheelsDir, { only: [wheel] });
    options.onLine?.(`ponyci: built ${wheel} from ${sdist.file}`);
  }
}

/**
 * The end of a failed build's output that names the cause: the compiler's
 * own lines (`error:`, a missing header, the command that failed) and the
 * last lines, in order, at most 15.
 */
function compilerTail(log: string[]): string {
  const last = log.slice(-40);
  const telling = last.filter((l) => /error|fatal|not found|No such file|command '.*' failed|exit code/i.test(l));
  return (telling.length > 0 ? telling.slice(-15) : last.slice(-15)).join("\n");
}

/** The uid:gid source distributions are built as (never root). */
const BUILD_UID = 10001;

function parseOrUndefined(text: string) {
  try {
    return parseRequirement(text);
  } catch {
    return undefined;
  }
}

/**
 * The sdist's `[build-system] requires`, each parsed strictly: they come from
 * an archive anyone can upload, so an entry such as "--no-binary=x" is a
 * config error (naming the file), never a pip option.
 */
function readBuildRequires(sdist: FetchedSdist): string[] {
  if (!sdist.pyproject) return DEFAULT_BUILD_REQUIRES;
  const file = `${sdist.file}: pyproject.toml`;
  const declared = readPyproject(sdist.pyproject, file).array(["build-system", "requires"]);
  if (!declared) return DEFAULT_BUILD_REQUIRES;
  return declared.strings.map((entry) => {
    try {
      return normalizeRequirement(entry.text);
    } catch (error) {
      if (!(error instanceof RequirementSyntaxError)) throw error;
      throw new RequirementsError({ file, line: entry.line }, `build-system.requires: ${error.message}`);
    }
  });
}

/**
 * The one wheel of `outDir` whose project and version are the sdist's; every
 * other file the build left there (a `pytest-99.0-py3-none-any.whl`, say) is
 * deleted and named in the log.
 */
export async function keepMatchingWheel(outDir: string, sdist: Pick<FetchedSdist, "project" | "version" | "file">, onLine?: (line: string) => void): Promise<string | undefined> {
  let kept: string | undefined;
  for (const entry of await readdir(outDir, { withFileTypes: true })) {
    const wheel = entry.isFile() ? parseWheelFilename(entry.name) : undefined;
    const matches = wheel && wheel.project === sdist.project && eq(wheel.version, sdist.version);
    if (matches && !kept) {
      kept = entry.name;
      continue;
    }
    onLine?.(`ponyci: ignored ${JSON.stringify(entry.name).slice(0, 200)}: not a wheel of ${sdist.file}`);
    await rm(join(outDir, entry.name), { recursive: true, force: true });
  }
  return kept;
}

/** "Foo_Bar-1.2-py3-none-any.whl" → { project: "foo-bar", version: "1.2" } (PEP 427). */
export function parseWheelFilename(filename: string): { project: string; version: string } | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9._]*)-([0-9][A-Za-z0-9.!+_]*)(?:-[0-9][A-Za-z0-9_.]*)?-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+\.whl$/.exec(filename);
  if (!m || !m[1] || !m[2]) return undefined;
  return { project: normalizeName(m[1]), version: m[2] };
}

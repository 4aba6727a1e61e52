import type Docker from "dockerode";
import { createHash } from "node:crypto";
import { chown, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { CancelledError, describeError } from "../../../../src/domain/errors.js";
import { readUntrustedBytes } from "../../../../src/util/read-untrusted-file.js";
import { writeFileAtomic } from "../../../../src/util/write-file-atomic.js";
import { classifyPipFailure } from "../classify-pip-failure.js";
import { EnvironmentError } from "../../../../src/domain/environment-error.js";
import { normalizeRequirement } from "../../../../src/domain/parse-requirement.js";
import type { PipRunner } from "../run-pip.js";
import { runBuildContainer, type BuildContainerLimits } from "../run-build-container.js";
import { MAX_METADATA_BYTES, parseCoreMetadata, type CoreMetadata } from "./parse-core-metadata.js";

/** What the project's build backend is asked, as the planner read it from pyproject.toml `[build-system]` (JobSpec.environment.projectMetadata). */
export interface ProjectBuildSystem {
  /** `[build-system] requires`, re-serialised; default: setuptools' legacy set. */
  requires?: string[];
  /** `build-backend` ("hatchling.build"); default: setuptools.build_meta:__legacy__ (PEP 517's fallback). */
  backend?: string;
  /** `backend-path`: directories of the checkout the backend is imported from. */
  backendPath?: string[];
}

export interface PrepareProjectMetadataOptions extends ProjectBuildSystem {
  docker: Docker;
  /** The cell's base image: the backend runs on the cell's Python. */
  image: string;
  python: string;
  /** The checkout on the host, mounted read-only. */
  sourceDir: string;
  /** Names the source's content (the commit, a hash of its tree): with scope, python and the build system, the cache key. */
  sourceKey: string;
  scope: string;
  /** Where results are kept: `<cacheDir>/project-metadata/<key>.json`. */
  cacheDir: string;
  /** Shared wheel cache (index wheels) searched before the index. */
  wheelsDir: string;
  scratchDir: string;
  runPip: PipRunner;
  /** pip's `--python-version/--platform…` for the image (pipTargetArgs). */
  targetArgs: string[];
  limits: BuildContainerLimits;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/** Bumped when what is cached changes. */
const METADATA_CACHE_VERSION = 1;
/** PEP 517: what a project without `[build-system]` builds with. */
export const LEGACY_BUILD_REQUIRES = ["setuptools>=40.8.0", "wheel"];
const LEGACY_BACKEND = "setuptools.build_meta:__legacy__";
const BACKEND = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?$/;
const BACKEND_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._/-]{1,200}$/;
/** The uid:gid the backend runs as (never root; the test uid: nothing of the store is writable to it). */
const BUILD_USER = "10001:10001";

/**
 * The hook runner: imports the backend (after backend-path) and calls PEP
 * 517's `prepare_metadata_for_build_wheel`, else `build_wheel` and takes the
 * wheel's METADATA; copies it to /out/METADATA. Runs in the container only.
 */
const HOOK_SCRIPT = `
import importlib, json, os, shutil, sys, zipfile
for p in reversed(json.loads(os.environ["PONYCI_BACKEND_PATH"])):
    sys.path.insert(0, os.path.abspath(p))
mod, _, attr = os.environ["PONYCI_BACKEND"].partition(":")
backend = importlib.import_module(mod)
for part in filter(None, attr.split(".")):
    backend = getattr(backend, part)
os.makedirs("/tmp/meta")
hook = getattr(backend, "prepare_metadata_for_build_wheel", None)
if hook is not None:
    src = os.path.join("/tmp/meta", hook("/tmp/meta", {}), "METADATA")
else:
    whl = os.path.join("/tmp/meta", backend.build_wheel("/tmp/meta", {}))
    with zipfile.ZipFile(whl) as z:
        name = next(n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        with z.open(name) as f, open("/tmp/meta/METADATA", "wb") as out:
            out.write(f.read(${MAX_METADATA_BYTES} + 1))
    src = "/tmp/meta/METADATA"
shutil.copyfile(src, "/out/METADATA")
`;

/**
 * The project's core metadata from its own PEP 517 build backend, for a
 * project whose dependencies or extras are not static (setup.py, `dynamic`
 * in pyproject.toml): the build requirements are downloaded as wheels by
 * host pip (binary-only, as every download), then, in a build container
 * hardened like a test container (no network, non-root, read-only root,
 * limits, deadline), the checkout is copied to a tmpfs (the backend writes
 * egg-info next to setup.py), the requirements installed offline into a
 * scratch venv, and the backend's hook run. The host reads only
 * /out/METADATA (O_NOFOLLOW, bounded) and parses it strictly
 * (parseCoreMetadata). Cached by the source's key, the scope, the Python and
 * the build system: a second cell of the same commit runs nothing.
 * Why here and not at planning: planning reads a handful of files through
 * the forge's API (there is no checkout yet) and must never run a
 * repository's code; the runner has the checkout and the build containers.
 * @throws EnvironmentError "project" when the backend fails (with its last
 *   lines) or its metadata is malformed; "infrastructure" for Docker or the
 *   index; CancelledError.
 */
export async function prepareProjectMetadata(options: PrepareProjectMetadataOptions): Promise<CoreMetadata> {
  const requires = (options.requires ?? LEGACY_BUILD_REQUIRES).map((r) => normalizeRequirement(r));
  const backend = options.backend ?? (options.requires ? "setuptools.build_meta" : LEGACY_BACKEND);
  const backendPath = options.backendPath ?? [];
  if (!BACKEND.test(backend)) throw new EnvironmentError("project", `build-backend ${JSON.stringify(backend.slice(0, 100))} is not a Python object reference (module.path:object)`);
  for (const p of backendPath) if (!BACKEND_PATH.test(p)) throw new EnvironmentError("project", `backend-path ${JSON.stringify(p.slice(0, 100))} must be a relative path inside the project`);
  const key = createHash("sha256")
    .update(JSON.stringify({ v: METADATA_CACHE_VERSION, scope: options.scope, source: options.sourceKey, python: options.python, requires, backend, backendPath }))
    .digest("hex");
  const cacheFile = join(options.cacheDir, "project-metadata", `${key}.json`);
  const cached = await readCached(cacheFile);
  if (cached) return cached;

  const t0 = Date.now();
  options.onLine?.(`ponyci: reading the project's metadata from its build backend (${backend})`);
  await mkdir(options.scratchDir, { recursive: true });
  const dir = await mkdtemp(join(options.scratchDir, "metadata-"));
  try {
    const depsDir = join(dir, "build-deps");
    const outDir = join(dir, "out");
    await mkdir(depsDir);
    await mkdir(outDir);
    const wanted = [...new Set([...requires, "wheel"])];
    const download = await options.runPip(["download", "--dest", depsDir, "--find-links", options.wheelsDir, ...options.targetArgs, "--", ...wanted], { signal: options.signal, onLine: options.onLine });
    if (download.exitCode !== 0) {
      const failure = classifyPipFailure(download.lines, { python: options.python });
      throw new EnvironmentError(failure.kind, `The project's build requirements (${wanted.join(", ")}) cannot be fetched: ${failure.message}`);
    }
    await chown(outDir, 10001, 10001);
    const log: string[] = [];
    const { exitCode, timedOut } = await runBuildContainer(
      options.docker,
      {
        image: options.image,
        script: [
          "set -e",
          "mkdir /tmp/src",
          // The source is read-only; the backend writes beside it (egg-info). .git stays behind (setuptools-scm gets a pretend version).
          "(cd /src && tar --exclude=./.git -cf - .) | tar -C /tmp/src -xf -",
          "python3 -m venv /tmp/build",
          `/tmp/build/bin/python -m pip install --disable-pip-version-check --progress-bar off --no-cache-dir --no-index --find-links /build-deps ${wanted.map((r) => `'${r.replace(/'/g, "")}'`).join(" ")}`,
          'cd /tmp/src && /tmp/build/bin/python -c "$PONYCI_HOOK"',
        ].join("\n"),
        binds: [`${options.sourceDir}:/src:ro`, `${depsDir}:/build-deps:ro`, `${outDir}:/out`],
        env: [
          "HOME=/tmp",
          "PIP_NO_CACHE_DIR=1",
          `PONYCI_BACKEND=${backend}`,
          `PONYCI_BACKEND_PATH=${JSON.stringify(backendPath)}`,
          `PONYCI_HOOK=${HOOK_SCRIPT}`,
          "SETUPTOOLS_SCM_PRETEND_VERSION=0.0.0",
        ],
        untrusted: { user: BUILD_USER, limits: options.limits },
      },
      {
        signal: options.signal,
        onLine: (line) => {
          log.push(line);
          if (log.length > 40) log.shift();
          options.onLine?.(line);
        },
      },
    );
    if (timedOut) throw new EnvironmentError("project", `The project's build backend (${backend}) did not prepare its metadata within ${options.limits.timeoutSec} s.`);
    let text: Buffer | undefined;
    try {
      text = exitCode === 0 ? await readUntrustedBytes(join(outDir, "METADATA"), { maxBytes: MAX_METADATA_BYTES }) : undefined;
    } catch (error) {
      throw new EnvironmentError("project", `The project's build backend wrote unreadable metadata: ${describeError(error)}`);
    }
    if (!text) {
      throw new EnvironmentError("project", `The project's build backend (${backend}) could not prepare its metadata (exit ${exitCode}); its last lines:\n${log.slice(-12).join("\n")}`);
    }
    let metadata: CoreMetadata;
    try {
      metadata = parseCoreMetadata(text.toString("latin1"));
    } catch (error) {
      throw new EnvironmentError("project", `The project's metadata from its build backend is not accepted: ${describeError(error)}`);
    }
    await mkdir(join(options.cacheDir, "project-metadata"), { recursive: true });
    await writeFileAtomic(cacheFile, `${JSON.stringify(metadata)}\n`);
    options.onLine?.(`ponyci: read ${metadata.name}'s metadata from its build backend in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return metadata;
  } catch (error) {
    if (error instanceof EnvironmentError || error instanceof CancelledError) throw error;
    throw new EnvironmentError("infrastructure", `Reading the project's metadata failed: ${describeError(error)}`, { cause: error });
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A cached result (Pony CI's own file, written after a strict parse), or undefined. */
async function readCached(file: string): Promise<CoreMetadata | undefined> {
  try {
    const value = JSON.parse(await readFile(file, "utf8")) as CoreMetadata;
    if (typeof value.name !== "string" || !Array.isArray(value.requiresDist) || !Array.isArray(value.providesExtra) || !Array.isArray(value.refused)) return undefined;
    return value;
  } catch {
    return undefined;
  }
}

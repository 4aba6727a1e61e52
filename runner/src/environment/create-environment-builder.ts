import type Docker from "dockerode";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { LABEL_ENV_KEY } from "../docker/labels.js";
import { CancelledError, describeError } from "../../../src/domain/errors.js";
import { buildEnvironmentImage } from "./build-environment-image.js";
import { computeEnvironmentKey } from "./compute-environment-key.js";
import { detectTestRequirements } from "./detect-test-requirements.js";
import { addDatabaseDriver } from "../services/add-database-driver.js";
import { createDjangoVersionCache } from "./django-version-cache.js";
import { downloadWheels } from "./download-wheels.js";
import { ENV_IMAGE_REPO, type Environment, type EnvironmentRequest } from "./environment.js";
import { linkIntoDir } from "./link-into-dir.js";
import { EnvironmentError } from "./environment-error.js";
import { LABEL_ENV_DJANGO, LABEL_ENV_PACKAGES } from "./environment-labels.js";
import { pipTargetArgs, type InterpreterProbe } from "./pip-target-args.js";
import { probeBaseImage } from "./probe-base-image.js";
import { createBaseImageResolver } from "./resolve-base-image.js";
import { resolveDjangoVersion } from "./resolve-django-version.js";
import { createWorkspaceReader } from "./read-workspace-file.js";
import { createPipRunner, type PipRunner } from "./run-pip.js";
import { defaultHostPython, type HostPython } from "./host-python.js";
import { parseRequirement } from "./parse-requirement.js";
import { DEFAULT_BUILD_LIMITS, type BuildContainerLimits } from "./run-build-container.js";
import { createHash } from "node:crypto";

export const DEFAULT_RESOLVE_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * The wheel cache every repository shares: only wheels downloaded from the
 * index (pip checks each against the index's sha256). Renamed from `wheels/`,
 * which also took every wheel a build container left behind: nothing in it is
 * trusted any more.
 */
export const SHARED_WHEELS_DIR = "index-wheels";

export interface EnvironmentBuilderOptions {
  docker: Docker;
  /** Holds `index-wheels/` (shared wheel cache), `built-wheels/<scope>/` (per repository), `django-versions.json`, and scratch space. */
  cacheDir: string;
  /** Base image name for a Python version; default: PONYCI_BASE_IMAGE (see createBaseImageResolver). */
  baseImage?: (python: string) => Promise<string>;
  log?: Logger;
  now?: () => number;
  /** How long "4.2" → "4.2.x" is trusted before asking the index again (default 24 h). */
  resolveTtlMs?: number;
  /** The host's Python and the operator's index and CA (default: python3, PyPI). */
  host?: HostPython;
  /** Limits and deadline of build containers (source distributions, environment installs). */
  buildLimits?: BuildContainerLimits;
  /** Host pip; injectable to count calls (the warm path must make none). Default: createPipRunner({ host }). */
  runPip?: PipRunner;
  /** Mixed into every key: a separate key space (tests), or a forced rebuild of everything. */
  keySalt?: string;
}

export interface EnsureOptions {
  signal?: AbortSignal;
  /** pip and build-container output, line by line, plus a few "ponyci:" progress lines. */
  onLog?: (line: string) => void;
}

export interface EnvironmentBuilder {
  /**
   * The image for a cell: detect what to install, resolve Django, and return
   * `ponyci/env:<key>` at once when it exists (no pip, no network); otherwise
   * download wheels on the host and build it offline. Concurrent calls for the
   * same key build once. Throws EnvironmentError ("project": fix the
   * requirements; "infrastructure": retry) or CancelledError.
   */
  ensure(request: EnvironmentRequest, options?: EnsureOptions): Promise<Environment>;
}

export function createEnvironmentBuilder(options: EnvironmentBuilderOptions): EnvironmentBuilder {
  const { docker, cacheDir } = options;
  const log = options.log ?? silentLogger;
  const host = options.host ?? defaultHostPython();
  const buildLimits = options.buildLimits ?? DEFAULT_BUILD_LIMITS;
  const runPip = options.runPip ?? createPipRunner({ host });
  const baseImageFor = options.baseImage ?? createBaseImageResolver(docker);
  const versions = createDjangoVersionCache({
    file: join(cacheDir, "django-versions.json"),
    ttlMs: options.resolveTtlMs ?? DEFAULT_RESOLVE_TTL_MS,
    now: options.now ?? Date.now,
  });
  const building = new Map<string, Promise<Environment>>();
  const resolving = new Map<string, Promise<string>>();
  const probes = new Map<string, Promise<InterpreterProbe>>();

  const resolveDjango = (python: string, django: string, ensure: EnsureOptions) => {
    const id = `${python}|${django}`;
    let pending = resolving.get(id);
    if (!pending) {
      pending = resolveDjangoVersion(python, django, { runPip, cache: versions, log, signal: ensure.signal, onLine: ensure.onLog }).finally(() => resolving.delete(id));
      resolving.set(id, pending);
    }
    return pending;
  };

  return {
    async ensure(request, ensure = {}) {
      if (!/^\d+\.\d+$/.test(request.python)) {
        throw new EnvironmentError("project", `Python version "${request.python}" is not understood: write it as major.minor, e.g. "3.12".`);
      }
      // 1. What to install: pure detection over the checkout.
      let readFile;
      try {
        readFile = createWorkspaceReader(request.workspace);
      } catch (error) {
        throw new EnvironmentError("infrastructure", `The checkout ${request.workspace} cannot be read: ${describeError(error)}`, { cause: error });
      }
      const detected = detectTestRequirements({ readFile, install: request.install, extraDeps: request.extraDeps });
      detected.requirements = addDatabaseDriver(detected.requirements, request.database);
      // 2. Which Django, 3. which base image: both answered locally when warm.
      const django = await resolveDjango(request.python, request.django, ensure);
      const baseImage = await baseImageFor(request.python);
      const baseImageId = await ensureBaseImage(docker, baseImage, request.python);
      const key = computeEnvironmentKey({ ...detected, baseImageId, python: request.python, django, salt: options.keySalt });
      const image = `${ENV_IMAGE_REPO}:${key}`;

      // 4. One build per key in this process; everyone else waits for it.
      for (;;) {
        const inflight = building.get(key);
        if (!inflight) break;
        try {
          const env = await abortable(inflight, ensure.signal);
          return { ...env, built: false, notes: detected.notes };
        } catch (error) {
          if (ensure.signal?.aborted) throw new CancelledError();
          if (!(error instanceof CancelledError)) throw error; // the builder's own cancel: try ourselves
        }
      }
      // Registered before any await, so a concurrent call for the same key waits for this one.
      const build = (async (): Promise<Environment> => {
        const existing = await inspectEnvironment(docker, image);
        if (existing) {
          return { image, key, built: false, django: existing.django ?? django, packages: existing.packages, notes: detected.notes };
        }
        const onLine = ensure.onLog;
        const t0 = Date.now();
        onLine?.(`ponyci: building ${image} (Python ${request.python}, Django ${django}; from ${detected.sources.join(", ") || "no requirement files"})`);
        for (const note of detected.notes) onLine?.(`ponyci: ${note}`);
        let probe = probes.get(baseImageId);
        if (!probe) {
          probe = probeBaseImage(docker, baseImage, { signal: ensure.signal });
          probes.set(baseImageId, probe);
          probe.catch(() => probes.delete(baseImageId));
        }
        const interpreter = await probe;
        if (interpreter.python !== request.python) {
          throw new EnvironmentError("infrastructure", `Base image ${baseImage} runs Python ${interpreter.python}, not ${request.python}: check PONYCI_BASE_IMAGE.`);
        }
        await mkdir(join(cacheDir, "tmp"), { recursive: true });
        const scratch = await mkdtemp(join(cacheDir, "tmp", `${key.slice(0, 12)}-`));
        try {
          let constraintsFile: string | undefined;
          if (detected.constraints.length) {
            constraintsFile = join(scratch, "constraints.txt");
            await writeFile(constraintsFile, detected.constraints.join("\n") + "\n");
          }
          const dest = join(scratch, "wheels");
          const builtWheelsDir = join(cacheDir, "built-wheels", scopeKey(request.cacheScope));
          const files = await downloadWheels({
            host,
            buildLimits,
            builtWheelsDir,
            runPip,
            docker,
            image: baseImage,
            python: request.python,
            targetArgs: pipTargetArgs(interpreter),
            django,
            requirements: detected.requirements,
            constraintsFile,
            dest,
            wheelsDir: join(cacheDir, SHARED_WHEELS_DIR),
            scratchDir: scratch,
            signal: ensure.signal,
            onLine,
          });
          const downloadFor = (requirements: string[], into: string) =>
            downloadWheels({
              host, buildLimits, builtWheelsDir, runPip, docker, image: baseImage, python: request.python, targetArgs: pipTargetArgs(interpreter), django,
              requirements, constraintsFile, dest: into, wheelsDir: join(cacheDir, SHARED_WHEELS_DIR), scratchDir: scratch, signal: ensure.signal, onLine,
            });
          const packages = await installWithMarkerDeps({
            install: (wheels) => buildEnvironmentImage(docker, { baseImage, key, python: request.python, django, wheelsDir: dest, files: wheels, limits: buildLimits, signal: ensure.signal, onLine }),
            download: async (requirement, round) => {
              const extra = join(scratch, `marker-deps-${round}`);
              await downloadFor([requirement], extra);
              return linkIntoDir(extra, dest);
            },
            files,
            onLine,
          });
          log.info({ image, python: request.python, django, ms: Date.now() - t0 }, "built environment image");
          onLine?.(`ponyci: built ${image} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
          return { image, key, built: true, django, packages, notes: detected.notes };
        } catch (error) {
          if (error instanceof EnvironmentError || error instanceof CancelledError) throw error;
          throw new EnvironmentError("infrastructure", `Building ${image} failed: ${describeError(error)}`, { cause: error });
        } finally {
          await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
        }
      })();
      building.set(key, build);
      try {
        return await build;
      } finally {
        building.delete(key);
      }
    },
  };
}

/**
 * Host pip evaluates environment markers for the host's Python, not the
 * target's (`--python-version` only selects wheels), so a dependency such as
 * `typing_extensions; python_version < "3.11"` is not downloaded for a 3.9
 * image. The offline install then names it ("No matching distribution found
 * for …"): download it for the target, without its marker, and install again.
 * https://github.com/pypa/pip/issues/5453
 */
async function installWithMarkerDeps(options: {
  install: (files: string[]) => Promise<string[]>;
  download: (requirement: string, round: number) => Promise<string[]>;
  files: string[];
  onLine?: (line: string) => void;
}): Promise<string[]> {
  const files = [...options.files];
  for (let round = 1; ; round++) {
    try {
      return await options.install(files);
    } catch (error) {
      const printed = /No matching distribution found for ([^;\n(]+)/.exec(error instanceof Error ? error.message : "")?.[1]?.trim();
      // pip printed it inside the container: used only when it parses as a plain requirement.
      const missing = printed ? parsesAsRequirement(printed) : undefined;
      if (!(error instanceof EnvironmentError) || !missing || round > 5) throw error;
      options.onLine?.(`ponyci: ${missing} is needed on this Python only (an environment marker): downloading it`);
      for (const name of await options.download(missing, round)) if (!files.includes(name)) files.push(name);
    }
  }
}

function parsesAsRequirement(text: string): string | undefined {
  try {
    const requirement = parseRequirement(text);
    return requirement.marker ? undefined : text.trim();
  } catch {
    return undefined;
  }
}

/** A directory name for a cache scope: a hash, so no repository-chosen text becomes a path. */
function scopeKey(scope: string | undefined): string {
  return createHash("sha256").update(scope ?? "").digest("hex").slice(0, 32);
}

/** The image id of `name`, pulling it once when missing. */
async function ensureBaseImage(docker: Docker, name: string, python: string): Promise<string> {
  try {
    return (await docker.getImage(name).inspect()).Id;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) {
      throw new EnvironmentError("infrastructure", `Docker could not inspect base image ${name}: ${describeError(error)}`, { cause: error });
    }
  }
  try {
    const stream = await docker.pull(name);
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    return (await docker.getImage(name).inspect()).Id;
  } catch (error) {
    throw new EnvironmentError(
      "infrastructure",
      `Base image ${name} for Python ${python} is missing and could not be pulled: build it with runner/images/build-base-images.sh ${python}, or set PONYCI_BASE_IMAGE. (${describeError(error)})`,
      { cause: error },
    );
  }
}

/** Labels of an existing environment image, or undefined when there is none. */
async function inspectEnvironment(docker: Docker, image: string): Promise<{ django?: string; packages: string[] } | undefined> {
  let info: Docker.ImageInspectInfo;
  try {
    info = await docker.getImage(image).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw new EnvironmentError("infrastructure", `Docker could not inspect ${image}: ${describeError(error)}`, { cause: error });
  }
  const labels = info.Config?.Labels ?? {};
  if (!labels[LABEL_ENV_KEY]) return undefined;
  return { django: labels[LABEL_ENV_DJANGO], packages: (labels[LABEL_ENV_PACKAGES] ?? "").split(" ").filter(Boolean) };
}

/** Await `promise`, or reject with CancelledError as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

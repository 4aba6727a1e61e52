import type Docker from "dockerode";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { LABEL_ENV_KEY } from "../docker/labels.js";
import { CancelledError, describeError } from "../../../src/domain/errors.js";
import { buildEnvironmentImage } from "./build-environment-image.js";
import { computeEnvironmentKey } from "./compute-environment-key.js";
import { parseRequirementLine } from "./parse-requirement-line.js";
import { RequirementsError } from "./requirements-error.js";
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
import { createPipRunner, type PipRunner } from "./run-pip.js";
import { defaultHostPython, type HostPython } from "./host-python.js";
import { parseRequirement } from "./parse-requirement.js";
import { DEFAULT_BUILD_LIMITS, type BuildContainerLimits } from "./run-build-container.js";
import { createHash } from "node:crypto";
import { report, type EnvironmentMetrics, type Resolver } from "./environment-metrics.js";
import { createUvInstaller } from "./uv/create-uv-installer.js";
import { createDjangoLayers } from "./uv/ensure-django-layer.js";
import { parseWheelFilename } from "./download-wheels.js";

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
  /**
   * "uv" (what PONYCI_RESOLVER defaults to): resolve with uv for the image's
   * exact target, download what the cache lacks, install with uv offline in
   * the container; a requirement with no wheel falls back to pip. "pip"
   * (default here): host pip throughout.
   */
  resolver?: Resolver;
  /** Phase timings and outcomes, for /metrics. */
  metrics?: EnvironmentMetrics;
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
  const resolver = options.resolver ?? "pip";
  const djangoLayers = createDjangoLayers();
  const uvInstaller = createUvInstaller({ host, runPip, toolsDir: join(cacheDir, "tools"), uvCacheDir: join(cacheDir, "uv-cache"), wheelsDir: join(cacheDir, "wheels") });

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
      // 1. What to install: the planner decided it; checked again here, so
      // nothing but a re-serialised requirement reaches pip or uv.
      const detected = {
        requirements: checkRequirementLines(request.requirements, "requirements"),
        constraints: checkRequirementLines(request.constraints ?? [], "constraints"),
        sources: request.sources ?? [],
        notes: request.notes ?? [],
      };
      detected.requirements = addDatabaseDriver(detected.requirements, request.database);
      // 2. Which Django, 3. which base image: both answered locally when warm.
      const django = await resolveDjango(request.python, request.django, ensure);
      const baseImage = await baseImageFor(request.python);
      const baseImageId = await ensureBaseImage(docker, baseImage, request.python);
      const key = computeEnvironmentKey({ ...detected, baseImageId, python: request.python, django, salt: resolver === "uv" ? `${options.keySalt ?? ""}|uv` : options.keySalt });
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
          report(options.metrics, "ensured", { outcome: "cached", resolver, seconds: 0 });
          return { image, key, built: false, django: existing.django ?? django, packages: existing.packages, notes: detected.notes };
        }
        const onLine = ensure.onLog;
        const t0 = Date.now();
        let used: Resolver = resolver;
        const phase = (name: "resolve" | "download" | "install" | "commit", ms: number, detail = "") => {
          onLine?.(`[ponyci] ${name} ${(ms / 1000).toFixed(1)} s${detail ? ` (${detail})` : ""}`);
          report(options.metrics, "phase", { phase: name, resolver: used, seconds: ms / 1000 });
        };
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
          // uv first (no build, exact target); what it cannot do without building goes to pip.
          const viaUv =
            resolver === "uv"
              ? await uvInstaller.prepare({ probe: interpreter, django, requirements: detected.requirements, constraints: detected.constraints, dest: join(scratch, "wheels"), scratchDir: scratch, signal: ensure.signal, onLine, onPhase: phase })
              : undefined;
          if (!viaUv) used = "pip";
          const tDownload = Date.now();
          const files = viaUv?.files ?? await downloadWheels({
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
          if (!viaUv) phase("download", Date.now() - tDownload, "pip: resolve and download");
          // Layers (uv): base → Django → the project's dependencies; only the last is built per project.
          const djangoWheel = viaUv?.files.find((file) => parseWheelFilename(file)?.project === "django");
          let parentImage: string | undefined;
          if (viaUv && djangoWheel) {
            const tLayer = Date.now();
            const layer = await djangoLayers.ensure({
              docker, baseImage, baseImageId, python: request.python, django, djangoWheel, wheelsDir: join(scratch, "wheels"), uv: viaUv.uv, limits: buildLimits, salt: options.keySalt, signal: ensure.signal, onLine,
            });
            parentImage = layer.image;
            onLine?.(`[ponyci] layer Django ${django}: ${layer.built ? `built in ${((Date.now() - tLayer) / 1000).toFixed(1)} s` : "cached"} (${layer.image.slice(0, 30)}…)`);
            if (layer.built) report(options.metrics, "phase", { phase: "layer", resolver: "uv", seconds: (Date.now() - tLayer) / 1000 });
          }
          const downloadFor = (requirements: string[], into: string) =>
            downloadWheels({
              host, buildLimits, builtWheelsDir, runPip, docker, image: baseImage, python: request.python, targetArgs: pipTargetArgs(interpreter), django,
              requirements, constraintsFile, dest: into, wheelsDir: join(cacheDir, SHARED_WHEELS_DIR), scratchDir: scratch, signal: ensure.signal, onLine,
            });
          const packages = await installWithMarkerDeps({
            install: async (wheels) => {
              const tInstall = Date.now();
              let tCommit = 0;
              const installed = await buildEnvironmentImage(docker, {
                baseImage, key, python: request.python, django, wheelsDir: dest, files: wheels, limits: buildLimits, signal: ensure.signal, onLine, uv: viaUv?.uv, parentImage,
                onInstalled: () => {
                  tCommit = Date.now();
                  phase("install", tCommit - tInstall, viaUv ? "uv, offline" : "pip, offline");
                },
              });
              if (tCommit) phase("commit", Date.now() - tCommit);
              return installed;
            },
            download: async (requirement, round) => {
              const extra = join(scratch, `marker-deps-${round}`);
              await downloadFor([requirement], extra);
              return linkIntoDir(extra, dest);
            },
            files,
            onLine,
          });
          log.info({ image, python: request.python, django, ms: Date.now() - t0, resolver: used }, "built environment image");
          report(options.metrics, "ensured", { outcome: "built", resolver: used, seconds: (Date.now() - t0) / 1000 });
          onLine?.(`ponyci: built ${image} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
          return { image, key, built: true, django, packages, notes: detected.notes };
        } catch (error) {
          if (!(error instanceof CancelledError)) report(options.metrics, "ensured", { outcome: "failed", resolver: used, seconds: (Date.now() - t0) / 1000 });
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

/**
 * The planner's requirement lines, parsed once more (defence in depth: a job
 * spec may come from the queue or another host): each must be a plain PEP 508
 * requirement; Django lines are dropped (the cell's Django wins).
 * @throws RequirementsError for anything else (a pip option, a URL, a path).
 */
function checkRequirementLines(lines: readonly string[], what: string): string[] {
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    const parsed = parseRequirementLine(line);
    if (parsed.type === "requirement") out.push(parsed.spec);
    else if (parsed.type === "invalid" || parsed.type === "include" || parsed.type === "constraint") {
      throw new RequirementsError({ file: `job spec ${what}`, line: i + 1 }, parsed.type === "invalid" ? parsed.reason : "an include is expanded by the planner, never by the runner");
    }
  }
  return [...new Set(out)].sort();
}

import type Docker from "dockerode";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { CancelledError, describeError } from "../../../src/domain/errors.js";
import { formatPythonName, parsePythonName, pythonTitle } from "../../../src/domain/python-name.js";
import { BUILD_PREFIX, buildEnvironmentDir, compileEnvironment, ensureEnvironmentStore } from "./build-environment-dir.js";
import { computeEnvironmentKey } from "./compute-environment-key.js";
import { addDatabaseDriver } from "../services/add-database-driver.js";
import { createDjangoVersionCache } from "./django-version-cache.js";
import { downloadWheels } from "./download-wheels.js";
import { VENV_PATH, type Environment, type EnvironmentRequest } from "../../../src/domain/environment.js";
import { linkIntoDir } from "./link-into-dir.js";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { pipTargetArgs, type InterpreterProbe } from "./pip-target-args.js";
import { probeBaseImage, probeFromLabels } from "./probe-base-image.js";
import { createBaseImageResolver } from "./resolve-base-image.js";
import { createIndexDjangoVersions, resolveDjangoVersion } from "./resolve-django-version.js";
import { createPipRunner, type PipRunner } from "./run-pip.js";
import { defaultHostPython, type HostPython } from "../../../src/domain/host-python.js";
import { DEFAULT_BUILD_LIMITS, type BuildContainerLimits } from "./run-build-container.js";
import { createHash, randomBytes } from "node:crypto";
import { report, type EnvironmentMetrics, type EnvironmentPhase, type Resolver } from "../../../src/domain/environment-metrics.js";
import { createUvInstaller } from "./uv/create-uv-installer.js";
import { prepareProjectMetadata } from "./project-metadata/prepare-project-metadata.js";
import { createToolchainImages, type ToolchainImages } from "./toolchain/create-toolchain-images.js";
import { requirementsForExtras } from "./project-metadata/parse-core-metadata.js";
import { publish, readEnvironment, writeRecord, type EnvironmentRecord } from "./environment-record.js";
import { installWithMarkerDeps } from "./install-with-marker-deps.js";
import { ensureBaseImage } from "./ensure-base-image.js";
import { checkRequirementLines } from "./check-requirement-lines.js";

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
  baseImage?: (python: string, options?: { onLine?: (line: string) => void; signal?: AbortSignal }) => Promise<string>;
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
  /** Where uv is installed (default `<cacheDir>/tools`): a directory several data directories may share. */
  toolsDir?: string;
  /** The images source distributions are built in and their wheels run on (default: createToolchainImages, built lazily). */
  toolchain?: ToolchainImages;
  /** Django's versions with a wheel for a Python, newest first (default: the index's PEP 691 JSON, see listWheelVersions; pip when it fails). */
  listDjangoVersions?: (python: string) => Promise<string[] | undefined>;
}

export interface EnsureOptions {
  signal?: AbortSignal;
  /** pip and build-container output, line by line, plus a few "ponyci:" progress lines. */
  onLog?: (line: string) => void;
}

export interface EnvironmentBuilder {
  /**
   * The environment for a cell: check what to install, resolve Django, and
   * return `<cache>/store/envs/<key>` at once when it exists (no pip, no uv,
   * no network); otherwise resolve and download on the host and build it
   * offline in a container. Concurrent calls for the same key build once.
   * A uv environment is returned before it is byte-compiled (that runs in
   * the background at the lowest CPU weight; see idle()). Throws
   * EnvironmentError ("project": fix the requirements; "infrastructure":
   * retry) or CancelledError.
   */
  ensure(request: EnvironmentRequest, options?: EnsureOptions): Promise<Environment>;
  /**
   * The cell that got environment `key` from ensure() is done with it:
   * deferred byte-compiles start once no build runs and no cell holds an
   * environment (so a compile never competes with the builds and tests
   * that made it necessary). Optional for callers: a deferred compile
   * starts on its own after SETTLE_TIMEOUT_MS.
   */
  settle(key: string): void;
  /** Resolves when no background byte-compile is pending or running (benchmarks, tests, the CLI before it exits). */
  idle(): Promise<void>;
  /**
   * Stop background work: pending compiles are dropped and running ones
   * killed (their environments stay uncompiled, and the next process that
   * hands one out compiles it). Resolves when nothing runs any more.
   */
  close(): Promise<void>;
}

/** A deferred byte-compile waits at most this long for its cells to settle. */
const SETTLE_TIMEOUT_MS = 60_000;

export function createEnvironmentBuilder(options: EnvironmentBuilderOptions): EnvironmentBuilder {
  const { docker, cacheDir } = options;
  const log = options.log ?? silentLogger;
  const host = options.host ?? defaultHostPython();
  const buildLimits = options.buildLimits ?? DEFAULT_BUILD_LIMITS;
  const toolchain = options.toolchain ?? createToolchainImages({ docker });
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
  const listDjangoVersions = options.listDjangoVersions ?? createIndexDjangoVersions({ host, tmpDir: join(cacheDir, "tmp") });
  const compiling = new Map<string, Promise<void>>();
  const compiles = createSerialQueue();
  /** Aborted by close(): no compile starts after it, a running one is killed. */
  const closing = new AbortController();
  /** Compiles waiting for their cells to settle: calling one starts it. */
  const deferred = new Map<string, () => void>();
  /** Cells holding each environment (ensure() handed it out, settle() not yet called). */
  const users = new Map<string, number>();
  let storeReady: ReturnType<typeof ensureEnvironmentStore> | undefined;
  const uvInstaller = createUvInstaller({ host, runPip, toolsDir: options.toolsDir ?? join(cacheDir, "tools"), uvCacheDir: join(cacheDir, "uv-cache"), wheelsDir: join(cacheDir, "wheels") });

  const resolveDjango = (python: string, django: string, ensure: EnsureOptions) => {
    const id = `${python}|${django}`;
    let pending = resolving.get(id);
    if (!pending) {
      pending = resolveDjangoVersion(python, django, { runPip, listVersions: listDjangoVersions, cache: versions, log, signal: ensure.signal, onLine: ensure.onLog }).finally(() => resolving.delete(id));
      resolving.set(id, pending);
    }
    return pending;
  };

  return {
    async ensure(request, ensure = {}) {
      if (!parsePythonName(request.python)) {
        throw new EnvironmentError("project", `Python version "${request.python.slice(0, 40)}" is not understood: write it as major.minor, e.g. "3.12", or pypy3.X for PyPy.`);
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
      if (resolver === "uv") uvInstaller.warmUp();
      const [django, { baseImage, base }] = await Promise.all([
        resolveDjango(request.python, request.django, ensure),
        baseImageFor(request.python, { onLine: ensure.onLog, signal: ensure.signal }).then(async (baseImage) => ({ baseImage, base: await ensureBaseImage(docker, baseImage, request.python) })),
      ]);
      // 3b. A project whose metadata only its build backend knows: read it (cached by commit) before the key.
      if (request.project) await addProjectMetadata(request, detected, baseImage, base, ensure);
      const key = computeEnvironmentKey({ ...detected, baseImageId: base.id, python: request.python, django, salt: resolver === "uv" ? `${options.keySalt ?? ""}|uv` : options.keySalt });
      const store = await (storeReady ??= ensureEnvironmentStore(cacheDir).catch((error) => {
        storeReady = undefined;
        throw new EnvironmentError("infrastructure", `Could not create the environment store in ${cacheDir}: ${describeError(error)}`, { cause: error });
      }));
      const envDir = join(store.envs, key);
      const venvDir = join(envDir, "venv");
      const containerEnv = { PATH: `${VENV_PATH}/bin:${base.path}`, VIRTUAL_ENV: VENV_PATH };
      /**
       * A venv holding wheels built from source runs on the runtime image (the base plus those libraries);
       * so does a PostGIS cell: GeoDjango loads GDAL and GEOS with ctypes whatever was built (projects' CI
       * installs them too: django-debug-toolbar's "Install gdal-bin (for postgis)" step).
       */
      const ready = async (record: EnvironmentRecord, built: boolean): Promise<Environment> => {
        const runtime = record.runtime === true || request.database === "postgis";
        const image = runtime ? await toolchain.runtimeImage(baseImage, { signal: ensure.signal, onLine: ensure.onLog }) : baseImage;
        hold(key);
        return { image, venvDir, containerEnv, key, built, django: record.django, packages: record.packages, notes: detected.notes };
      };

      // 4. One build per key in this process; everyone else waits for it.
      for (;;) {
        const inflight = building.get(key);
        if (!inflight) break;
        try {
          const env = await abortable(inflight, ensure.signal);
          hold(key);
          // The builder's cell may not be on PostGIS: this one's image is decided for this one.
          const image = request.database === "postgis" ? await toolchain.runtimeImage(baseImage, { signal: ensure.signal, onLine: ensure.onLog }) : env.image;
          return { ...env, image, built: false, notes: detected.notes };
        } catch (error) {
          if (ensure.signal?.aborted) throw new CancelledError();
          if (!(error instanceof CancelledError)) throw error; // the builder's own cancel: try ourselves
        }
      }
      // Registered before any await, so a concurrent call for the same key waits for this one.
      const build = (async (): Promise<Environment> => {
        const existing = await readEnvironment(envDir);
        if (existing) {
          report(options.metrics, "ensured", { outcome: "cached", resolver, seconds: 0 });
          if (!existing.compiled) compileLater({ key, envDir, baseImage, record: existing });
          return await ready(existing, false);
        }
        const onLine = ensure.onLog;
        const t0 = Date.now();
        let used: Resolver = resolver;
        const phase = (name: EnvironmentPhase, ms: number, detail = "") => {
          onLine?.(`ponyci: ${name} ${(ms / 1000).toFixed(1)} s${detail ? ` (${detail})` : ""}`);
          report(options.metrics, "phase", { phase: name, resolver: used, seconds: ms / 1000 });
        };
        onLine?.(`ponyci: building environment ${key.slice(0, 12)} (${pythonTitle(request.python)}, Django ${django}; from ${detected.sources.join(", ") || "no requirement files"})`);
        for (const note of detected.notes) onLine?.(`ponyci: ${note}`);
        const interpreter = await probeFor(base, baseImage, ensure.signal);
        const runs = formatPythonName(interpreter.implementation ?? "cpython", interpreter.python);
        if (runs !== request.python) {
          throw new EnvironmentError("infrastructure", `Base image ${baseImage} runs ${pythonTitle(runs)}, not ${pythonTitle(request.python)}: check PONYCI_BASE_IMAGE and PONYCI_PYTHON_IMAGES.`);
        }
        await mkdir(join(cacheDir, "tmp"), { recursive: true });
        const scratch = await mkdtemp(join(cacheDir, "tmp", `${key.slice(0, 12)}-`));
        const buildName = `${BUILD_PREFIX}${key.slice(0, 12)}-${randomBytes(6).toString("hex")}`;
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
              ? await uvInstaller.prepare({ probe: interpreter, django, requirements: detected.requirements, constraints: detected.constraints, scratchDir: scratch, signal: ensure.signal, onLine, onPhase: phase, onWheels: (counts) => report(options.metrics, "wheels", counts) })
              : undefined;
          if (!viaUv) used = "pip";
          const tDownload = Date.now();
          const downloadFor = (requirements: string[], into: string) =>
            downloadWheels({
              host, buildLimits, builtWheelsDir, runPip, docker, image: baseImage, python: request.python, targetArgs: pipTargetArgs(interpreter), django,
              requirements, constraintsFile, dest: into, wheelsDir: join(cacheDir, SHARED_WHEELS_DIR), scratchDir: scratch, signal: ensure.signal, onLine,
              sdistImage: () => toolchain.buildImage(baseImage, { signal: ensure.signal, onLine }),
            });
          const files = viaUv?.files ?? (await downloadFor(detected.requirements, dest));
          if (!viaUv) phase("download", Date.now() - tDownload, "pip: resolve and download");
          // The marker retry is pip's (host pip evaluates markers for the host); uv resolved for the target.
          const packages = await installWithMarkerDeps({
            retries: viaUv ? 0 : 5,
            install: async (wheels) => {
              const tInstall = Date.now();
              await rm(join(store.envs, buildName), { recursive: true, force: true });
              const installed = await buildEnvironmentDir(docker, {
                baseImage, key, python: request.python, django, wheelsDir: viaUv?.wheelsDir ?? dest, files: wheels, store, buildName, limits: buildLimits, signal: ensure.signal, onLine, uv: viaUv?.uv,
              });
              phase("install", Date.now() - tInstall, viaUv ? "uv, offline, hard links into the store" : "pip, offline");
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
          // Wheels this repository built from source need their libraries at run time: the runtime image.
          const builtHere = new Set(await readdir(builtWheelsDir).catch(() => [] as string[]));
          const runtime = !viaUv && (await readdir(dest).catch(() => [] as string[])).some((file) => builtHere.has(file));
          // pip byte-compiled already; uv's environment is compiled in the background.
          const record: EnvironmentRecord = { version: 1, key, python: request.python, django, packages, resolver: used, compiled: used === "pip", ...(runtime ? { runtime } : {}) };
          const published = await publish(join(store.envs, buildName), envDir, record);
          log.info({ key, python: request.python, django, ms: Date.now() - t0, resolver: used }, "built environment");
          report(options.metrics, "ensured", { outcome: "built", resolver: used, seconds: (Date.now() - t0) / 1000 });
          onLine?.(`ponyci: built environment ${key.slice(0, 12)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
          if (!published.compiled) compileLater({ key, envDir, baseImage, record: published });
          return await ready(published, true);
        } catch (error) {
          await rm(join(store.envs, buildName), { recursive: true, force: true }).catch(() => undefined);
          if (!(error instanceof CancelledError)) report(options.metrics, "ensured", { outcome: "failed", resolver: used, seconds: (Date.now() - t0) / 1000 });
          if (error instanceof EnvironmentError || error instanceof CancelledError) throw error;
          throw new EnvironmentError("infrastructure", `Building environment ${key.slice(0, 12)} failed: ${describeError(error)}`, { cause: error });
        } finally {
          await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
        }
      })();
      building.set(key, build);
      try {
        return await build;
      } finally {
        building.delete(key);
        startCompilesWhenQuiet();
      }
    },

    settle(key) {
      const left = (users.get(key) ?? 1) - 1;
      if (left > 0) users.set(key, left);
      else users.delete(key);
      startCompilesWhenQuiet();
    },

    idle,

    async close() {
      closing.abort();
      await idle();
    },
  };

  /** What Python, glibc and machine the base image has: from its labels, else asked once per image. */
  function probeFor(base: { id: string; labels?: Record<string, string> }, baseImage: string, signal?: AbortSignal): Promise<InterpreterProbe> {
    let probe = probes.get(base.id);
    if (!probe) {
      const labelled = probeFromLabels(base.labels);
      probe = labelled ? Promise.resolve(labelled) : probeBaseImage(docker, baseImage, { signal });
      probes.set(base.id, probe);
      probe.catch(() => probes.delete(base.id));
    }
    return probe;
  }

  /**
   * Add to `detected` the dependencies and extras the project's build
   * backend declares (prepareProjectMetadata: a hardened build container,
   * cached by the source's key), each checked again like the planner's.
   */
  async function addProjectMetadata(
    request: EnvironmentRequest,
    detected: { requirements: string[]; sources: string[]; notes: string[] },
    baseImage: string,
    base: { id: string; labels?: Record<string, string> },
    ensure: EnsureOptions,
  ): Promise<void> {
    const project = request.project!;
    const interpreter = await probeFor(base, baseImage, ensure.signal);
    await mkdir(join(cacheDir, "tmp"), { recursive: true });
    const metadata = await prepareProjectMetadata({
      docker, image: baseImage, python: request.python, sourceDir: project.dir, sourceKey: project.sourceKey, scope: request.cacheScope ?? "",
      cacheDir, wheelsDir: join(cacheDir, SHARED_WHEELS_DIR), scratchDir: join(cacheDir, "tmp"), runPip, targetArgs: pipTargetArgs(interpreter),
      limits: buildLimits, signal: ensure.signal, onLine: ensure.onLog, ...project.buildSystem,
    });
    const optional = (project.optionalExtras ?? []).filter((extra) => metadata.providesExtra.includes(extra.toLowerCase().replace(/[-_.]+/g, "-")));
    const extras = [...new Set([...project.extras, ...optional])];
    const { requirements, missing } = requirementsForExtras(metadata, extras);
    detected.sources = [...detected.sources, `${metadata.name} metadata from its build backend${extras.length ? ` [${extras.join(",")}]` : ""}`];
    if (missing.length > 0) detected.notes = [...detected.notes, `extras ${missing.join(", ")} are not provided by ${metadata.name}: not installed`];
    for (const refused of metadata.refused) detected.notes = [...detected.notes, `${metadata.name} requires ${refused}: not installed`];
    detected.requirements = checkRequirementLines([...detected.requirements, ...requirements], "project metadata");
  }

  /** A cell now holds environment `key` (until it settles). */
  function hold(key: string): void {
    users.set(key, (users.get(key) ?? 0) + 1);
  }

  function startDeferred(): void {
    for (const start of [...deferred.values()]) start();
  }

  async function idle(): Promise<void> {
    startDeferred();
    while (compiling.size > 0) await Promise.allSettled([...compiling.values()]);
  }

  /**
   * Deferred compiles start when this builder is quiet: no build running and
   * no cell holding any of its environments. A compile writes thousands of
   * files and takes what CPU is left, which slows other builds' unpacking
   * and cells' tests; on a host that is never quiet, SETTLE_TIMEOUT_MS
   * starts them anyway.
   */
  function startCompilesWhenQuiet(): void {
    if (building.size === 0 && users.size === 0) startDeferred();
  }

  /**
   * Byte-compile a uv environment in the background (compileEnvironment),
   * once per key at a time, when the builder is quiet; then record it. A
   * failure is logged and costs only speed: the next ensure() tries again.
   */
  function compileLater(target: { key: string; envDir: string; baseImage: string; record: EnvironmentRecord }): void {
    if (compiling.has(target.key) || deferred.has(target.key)) return;
    let start!: () => void;
    const started = new Promise<void>((resolve) => (start = resolve));
    const timer = setTimeout(start, SETTLE_TIMEOUT_MS);
    timer.unref();
    deferred.set(target.key, start);
    const job = started.then(() => {
      clearTimeout(timer);
      deferred.delete(target.key);
      // One at a time: each already uses every core (compileall -j 0).
      if (!closing.signal.aborted) return compiles.run(() => compileNow(target));
    });
    compiling.set(target.key, job.finally(() => compiling.delete(target.key)));
  }

  async function compileNow(target: { key: string; envDir: string; baseImage: string; record: EnvironmentRecord }): Promise<void> {
    const t0 = Date.now();
    // Gone meanwhile (collected)? Then there is nothing to compile, and a bind mount would make an empty venv.
    if (!(await readEnvironment(target.envDir))) return;
    return compileEnvironment(docker, { baseImage: target.baseImage, venvDir: join(target.envDir, "venv"), key: target.key, limits: buildLimits, signal: closing.signal })
      .then(async () => {
        if (!(await readEnvironment(target.envDir))) return;
        await writeRecord(target.envDir, { ...target.record, compiled: true });
        report(options.metrics, "phase", { phase: "compile", resolver: target.record.resolver, seconds: (Date.now() - t0) / 1000 });
        log.info({ key: target.key, ms: Date.now() - t0 }, "byte-compiled environment");
      })
      .catch((error: unknown) => {
        if (error instanceof CancelledError) return; // close(): the next process compiles it
        log.warn({ err: error, key: target.key }, "byte-compiling an environment failed; it runs uncompiled until the next try");
      });
  }
}

/** Runs tasks one at a time, in the order given; a failed task does not stop the next. */
function createSerialQueue(): { run<T>(task: () => Promise<T>): Promise<T> } {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(task) {
      const result = tail.then(task, task);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

/** A directory name for a cache scope: a hash, so no repository-chosen text becomes a path. */
function scopeKey(scope: string | undefined): string {
  return createHash("sha256").update(scope ?? "").digest("hex").slice(0, 32);
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

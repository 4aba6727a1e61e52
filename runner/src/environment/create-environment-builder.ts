import type Docker from "dockerode";
import { join } from "node:path";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { CancelledError, describeError } from "../../../src/domain/errors.js";
import { parsePythonName } from "../../../src/domain/python-name.js";
import { ensureEnvironmentStore } from "./build-environment-dir.js";
import { computeEnvironmentKey } from "./compute-environment-key.js";
import { createDjangoVersionCache } from "./django-version-cache.js";
import { VENV_PATH, type Environment, type EnvironmentRequest } from "../../../src/domain/environment.js";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import type { InterpreterProbe } from "./pip-target-args.js";
import { probeBaseImage, probeFromLabels } from "./probe-base-image.js";
import { createBaseImageResolver } from "./resolve-base-image.js";
import { createIndexDjangoVersions, resolveDjangoVersion } from "./resolve-django-version.js";
import { createPipRunner, type PipRunner } from "./run-pip.js";
import { defaultHostPython, type HostPython } from "../../../src/domain/host-python.js";
import { DEFAULT_BUILD_LIMITS, type BuildContainerLimits } from "./run-build-container.js";
import { report, type EnvironmentMetrics, type Resolver } from "../../../src/domain/environment-metrics.js";
import { createUvInstaller } from "./uv/create-uv-installer.js";
import { createProjectPageMemo } from "./create-project-page-memo.js";
import { createUnpackClaims } from "./create-unpack-claims.js";
import { createToolchainImages, type ToolchainImages } from "./toolchain/create-toolchain-images.js";
import { readEnvironment, type EnvironmentRecord } from "./environment-record.js";
import { ensureBaseImage } from "./ensure-base-image.js";
import { addProjectMetadata, gatherRequirements } from "./gather-requirements.js";
import { createCompileScheduler } from "./create-compile-scheduler.js";
import { buildNewEnvironment } from "./build-new-environment.js";

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
  /** Django's versions with a wheel for a Python, newest first (default: the index's PEP 691 JSON, see createIndexDjangoVersions; pip when it fails). */
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

/**
 * The builder orchestrates; each phase is its own file: gatherRequirements
 * and addProjectMetadata (what to install), buildNewEnvironment (probe,
 * resolve, download, install, record: fetchEnvironmentWheels,
 * installEnvironment), createCompileScheduler (the background byte-compile).
 */
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
  const unpackClaims = createUnpackClaims();
  const resolving = new Map<string, Promise<string>>();
  const probes = new Map<string, Promise<InterpreterProbe>>();
  const resolver = options.resolver ?? "pip";
  // Django's index page, once for the version pick and the Django-first fetch of a matrix's builds.
  const pages = createProjectPageMemo({ host, tmpDir: join(cacheDir, "tmp") });
  const listDjangoVersions = options.listDjangoVersions ?? createIndexDjangoVersions({ host, tmpDir: join(cacheDir, "tmp"), pages });
  const compiles = createCompileScheduler({ docker, limits: buildLimits, building: () => building.size > 0, metrics: options.metrics, log });
  let storeReady: ReturnType<typeof ensureEnvironmentStore> | undefined;
  const uvInstaller = createUvInstaller({ host, runPip, toolsDir: options.toolsDir ?? join(cacheDir, "tools"), uvCacheDir: join(cacheDir, "uv-cache"), wheelsDir: join(cacheDir, "wheels"), pages });
  const wheelSources = {
    docker, host, runPip, buildLimits, toolchain, uvInstaller, resolver, sharedWheelsDir: join(cacheDir, SHARED_WHEELS_DIR),
    onWheels: (counts: { downloaded: number; cached: number }) => report(options.metrics, "wheels", counts),
  };

  const resolveDjango = (python: string, django: string, ensure: EnsureOptions) => {
    const id = `${python}|${django}`;
    let pending = resolving.get(id);
    if (!pending) {
      pending = resolveDjangoVersion(python, django, { runPip, listVersions: listDjangoVersions, cache: versions, log, signal: ensure.signal, onLine: ensure.onLog }).finally(() => resolving.delete(id));
      resolving.set(id, pending);
    }
    return pending;
  };
  const openStore = () =>
    (storeReady ??= ensureEnvironmentStore(cacheDir).catch((error) => {
      storeReady = undefined;
      throw new EnvironmentError("infrastructure", `Could not create the environment store in ${cacheDir}: ${describeError(error)}`, { cause: error });
    }));

  return {
    async ensure(request, ensure = {}) {
      if (!parsePythonName(request.python)) {
        throw new EnvironmentError("project", `Python version "${request.python.slice(0, 40)}" is not understood: write it as major.minor, e.g. "3.12", or pypy3.X for PyPy.`);
      }
      // 1.–3. What to install, which Django, which base image, and so the key (decide).
      const { gathered, django, baseImage, base, key } = await decide(request, ensure);
      const store = await openStore();
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
        compiles.hold(key);
        return { image, venvDir, containerEnv, key, built, django: record.django, packages: record.packages, notes: gathered.notes };
      };

      // 4. One build per key in this process; everyone else waits for it.
      for (;;) {
        const inflight = building.get(key);
        if (!inflight) break;
        try {
          const env = await abortable(inflight, ensure.signal);
          compiles.hold(key);
          // The builder's cell may not be on PostGIS: this one's image is decided for this one.
          const image = request.database === "postgis" ? await toolchain.runtimeImage(baseImage, { signal: ensure.signal, onLine: ensure.onLog }) : env.image;
          return { ...env, image, built: false, notes: gathered.notes };
        } catch (error) {
          if (ensure.signal?.aborted) throw new CancelledError();
          if (!(error instanceof CancelledError)) throw error; // the builder's own cancel: try ourselves
        }
      }
      // 5. Cached, or built now. Registered before any await, so a concurrent call for the same key waits for this one.
      const build = (async (): Promise<Environment> => {
        const existing = await readEnvironment(envDir);
        if (existing) {
          report(options.metrics, "ensured", { outcome: "cached", resolver, seconds: 0 });
          if (!existing.compiled) compiles.later({ key, envDir, baseImage, record: existing });
          return await ready(existing, false);
        }
        const published = await buildNewEnvironment(
          { ...wheelSources, cacheDir, store, metrics: options.metrics, log, unpackClaims },
          { key, python: request.python, django, gathered, baseImage, interpreter: () => probeFor(base, baseImage, ensure.signal), cacheScope: request.cacheScope, signal: ensure.signal, onLine: ensure.onLog },
        );
        if (!published.compiled) compiles.later({ key, envDir, baseImage, record: published });
        return await ready(published, true);
      })();
      building.set(key, build);
      try {
        return await build;
      } finally {
        building.delete(key);
        compiles.quietNow();
      }
    },

    settle: (key) => compiles.settle(key),
    idle: () => compiles.idle(),
    close: () => compiles.close(),
  };

  /**
   * Steps 1–3 of ensure(), all answered locally when warm: what to install
   * (every line checked again), which Django, which base image, the
   * project's own metadata when its build backend must be asked; and the key.
   */
  async function decide(request: EnvironmentRequest, ensure: EnsureOptions) {
    let gathered = gatherRequirements(request);
    if (resolver === "uv") uvInstaller.warmUp();
    const [django, { baseImage, base }] = await Promise.all([
      resolveDjango(request.python, request.django, ensure),
      baseImageFor(request.python, { onLine: ensure.onLog, signal: ensure.signal }).then(async (baseImage) => ({ baseImage, base: await ensureBaseImage(docker, baseImage, request.python) })),
    ]);
    // A project whose metadata only its build backend knows: read it (cached by commit) before the key.
    if (request.project) {
      const interpreter = await probeFor(base, baseImage, ensure.signal);
      gathered = await addProjectMetadata(request, gathered, {
        docker, cacheDir, wheelsDir: join(cacheDir, SHARED_WHEELS_DIR), runPip, limits: buildLimits, baseImage, interpreter, signal: ensure.signal, onLine: ensure.onLog,
      });
    }
    const key = computeEnvironmentKey({ ...gathered, baseImageId: base.id, python: request.python, django, salt: resolver === "uv" ? `${options.keySalt ?? ""}|uv` : options.keySalt });
    return { gathered, django, baseImage, base, key };
  }

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

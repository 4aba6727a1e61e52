import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CancelledError, describeError } from "../../../src/domain/errors.js";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { report, type EnvironmentMetrics } from "../../../src/domain/environment-metrics.js";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { formatPythonName, pythonTitle } from "../../../src/domain/python-name.js";
import { BUILD_PREFIX, startEnvironmentInstall, type EnvironmentInstall, type environmentStore } from "./build-environment-dir.js";
import { createPhaseClock } from "./create-phase-clock.js";
import { publish, type EnvironmentRecord } from "./environment-record.js";
import { fetchEnvironmentWheels, type WheelSources } from "./fetch-environment-wheels.js";
import type { GatheredRequirements } from "./gather-requirements.js";
import { installEnvironment } from "./install-environment.js";
import type { UnpackClaims } from "./create-unpack-claims.js";
import type { InterpreterProbe } from "./pip-target-args.js";

/** What every build of one builder shares. */
export interface BuildContext extends WheelSources {
  cacheDir: string;
  store: ReturnType<typeof environmentStore>;
  metrics?: EnvironmentMetrics;
  log?: Logger;
  /** Which build unpacks which wheel into the store early (djangoFirst). */
  unpackClaims: UnpackClaims;
}

/** One environment to build: what the builder decided before it (the key, Django, the image and its interpreter). */
export interface NewEnvironment {
  key: string;
  python: string;
  django: string;
  gathered: GatheredRequirements;
  baseImage: string;
  /** The base image's interpreter (asked once per image); checked against `python` first. */
  interpreter: () => Promise<InterpreterProbe>;
  cacheScope?: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/**
 * Build environment `key` and publish it at `<store>/envs/<key>`, phase by
 * phase, each timed in the cell log and a summary line at the end:
 * probe (the image runs the Python asked for), resolve, download, install
 * (unpack and link), record (the published record). The uv environment's
 * byte-compile is the caller's, in the background. Resolves the record.
 * Throws EnvironmentError or CancelledError; a half-built directory and
 * the scratch directory are removed either way.
 */
export async function buildNewEnvironment(context: BuildContext, target: NewEnvironment): Promise<EnvironmentRecord> {
  const { key, onLine, signal } = target;
  const log = context.log ?? silentLogger;
  const t0 = Date.now();
  const clock = createPhaseClock({ onLine, metrics: context.metrics, resolver: context.resolver });
  onLine?.(`ponyci: building environment ${key.slice(0, 12)} (${pythonTitle(target.python)}, Django ${target.django}; from ${target.gathered.sources.join(", ") || "no requirement files"})`);
  for (const note of target.gathered.notes) onLine?.(`ponyci: ${note}`);
  const interpreter = await clock.time("probe", target.interpreter);
  const runs = formatPythonName(interpreter.implementation ?? "cpython", interpreter.python);
  if (runs !== target.python) {
    throw new EnvironmentError("infrastructure", `Base image ${target.baseImage} runs ${pythonTitle(runs)}, not ${pythonTitle(target.python)}: check PONYCI_BASE_IMAGE and PONYCI_PYTHON_IMAGES.`);
  }
  await mkdir(join(context.cacheDir, "tmp"), { recursive: true });
  const scratch = await mkdtemp(join(context.cacheDir, "tmp", `${key.slice(0, 12)}-`));
  const buildName = `${BUILD_PREFIX}${key.slice(0, 12)}-${randomBytes(6).toString("hex")}`;
  let early: EnvironmentInstall | undefined;
  try {
    const { constraints } = target.gathered;
    const constraintsFile = constraints.length ? join(scratch, "constraints.txt") : undefined;
    if (constraintsFile) await writeFile(constraintsFile, constraints.join("\n") + "\n");
    const builtWheelsDir = join(context.cacheDir, "built-wheels", scopeKey(target.cacheScope));
    // uv: the install's container starts now and makes its venv while resolve and download run (issue 28).
    const binary = context.resolver === "uv" ? await context.uvInstaller.binaryFor(interpreter, signal) : undefined;
    if (binary) {
      early = await startEnvironmentInstall(context.docker, {
        baseImage: target.baseImage, key, python: target.python, django: target.django, wheelsDir: context.uvInstaller.wheelsDir, store: context.store, buildName,
        limits: context.buildLimits, signal, onLine, uv: binary, scratchDir: scratch,
      });
      void djangoFirst(context, early, target.django, signal);
    }
    const wheels = await fetchEnvironmentWheels(context, {
      python: target.python, django: target.django, baseImage: target.baseImage, interpreter, requirements: target.gathered.requirements, constraints,
      constraintsFile, builtWheelsDir, scratchDir: scratch, signal, onLine, clock,
    });
    const resolver = wheels.resolver;
    const packages = await installEnvironment(context.docker, {
      baseImage: target.baseImage, key, python: target.python, django: target.django, store: context.store, buildName, wheels, scratchDir: scratch,
      limits: context.buildLimits, signal, onLine, clock, early,
    });
    const published = await clock.time("record", async () => {
      // Wheels this repository built from source need their libraries at run time: the runtime image.
      const builtHere = new Set(await readdir(builtWheelsDir).catch(() => [] as string[]));
      const runtime = resolver === "pip" && (await readdir(wheels.wheelsDir).catch(() => [] as string[])).some((file) => builtHere.has(file));
      // pip byte-compiled already; uv's environment is compiled in the background.
      const record: EnvironmentRecord = { version: 1, key, python: target.python, django: target.django, packages, resolver, compiled: resolver === "pip", ...(runtime ? { runtime } : {}) };
      return publish(join(context.store.envs, buildName), join(context.store.envs, key), record);
    });
    const ms = Date.now() - t0;
    log.info({ key, python: target.python, django: target.django, ms, resolver }, "built environment");
    report(context.metrics, "ensured", { outcome: "built", resolver, seconds: ms / 1000 });
    onLine?.(`ponyci: built environment ${key.slice(0, 12)} in ${(ms / 1000).toFixed(1)} s`);
    onLine?.(`ponyci: ${clock.summary(ms)}`);
    return published;
  } catch (error) {
    await early?.cancel();
    await rm(join(context.store.envs, buildName), { recursive: true, force: true }).catch(() => undefined);
    if (!(error instanceof CancelledError)) report(context.metrics, "ensured", { outcome: "failed", resolver: clock.resolver(), seconds: (Date.now() - t0) / 1000 });
    if (error instanceof EnvironmentError || error instanceof CancelledError) throw error;
    throw new EnvironmentError("infrastructure", `Building environment ${key.slice(0, 12)} failed: ${describeError(error)}`, { cause: error });
  } finally {
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A directory name for a cache scope: a hash, so no repository-chosen text becomes a path. */
function scopeKey(scope: string | undefined): string {
  return createHash("sha256").update(scope ?? "").digest("hex").slice(0, 32);
}

/**
 * Django first (issue 28): Django's wheel (from the index page,
 * sha256-checked) is unpacked into the store while uv resolves the rest;
 * its ~3,700 files are most of an environment's unpacking. Through the
 * builder's unpack claims: a concurrent build of the same Django (the
 * Pythons of one Django series in a matrix) waits for the one unpacking it
 * and then only links it. Only ever saves time: nothing here fails the build.
 */
async function djangoFirst(context: BuildContext, install: EnvironmentInstall, django: string, signal?: AbortSignal): Promise<void> {
  try {
    const file = await context.uvInstaller.fetchDjangoWheel(django, { signal });
    if (file) await context.unpackClaims.run([file], () => install.preinstall([file]), { signal });
  } catch {
    // only time lost: the install after resolve does it
  }
}

import { createHash } from "node:crypto";
import { access } from "node:fs/promises";
import { join } from "node:path";
import { CancelledError } from "../../../../src/domain/errors.js";
import { EnvironmentError } from "../../../../src/domain/environment-error.js";
import type { HostPython } from "../../../../src/domain/host-python.js";
import type { InterpreterProbe } from "../pip-target-args.js";
import type { PipRunner } from "../run-pip.js";
import { createWheelFetcher } from "./create-wheel-fetcher.js";
import type { ProjectPage } from "../create-project-page-memo.js";
import { ensureUv } from "./ensure-uv.js";
import { pickDjangoWheel } from "./pick-django-wheel.js";
import { resolveWithUv, uvPlatform, UvResolutionError, type LockedWheel } from "./resolve-with-uv.js";

export interface UvPrepareRequest {
  probe: InterpreterProbe;
  django: string;
  requirements: string[];
  constraints: string[];
  scratchDir: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  /** Called as each phase ends, with its duration. */
  onPhase?: (phase: "resolve" | "download", ms: number, detail: string) => void;
  /** How many of the build's wheels were downloaded and how many the cache had. */
  onWheels?: (counts: { downloaded: number; cached: number }) => void;
}

export interface UvInstaller {
  /**
   * Resolve with uv for the image's exact target and download what the
   * shared wheel cache lacks. Resolves the files, the uv binary and the
   * cache directory to install from (mounted as it is: no links into a
   * scratch directory, which would change each wheel's ctime, and uv
   * unpacks a wheel again whenever its ctime changes), or undefined when uv cannot do it without building
   * (a requirement with only a source distribution, a platform uv cannot
   * target): the caller then takes the pip path, which builds such a
   * requirement in a hardened container. Requests with the same input share
   * one resolution; downloads of one file are shared too. Throws
   * EnvironmentError ("project" when the requirements cannot be met) or
   * CancelledError.
   */
  prepare(request: UvPrepareRequest): Promise<{ files: string[]; uv: string; wheelsDir: string } | undefined>;
  /**
   * uv's binary when uv will install for this interpreter (so an install
   * can start before resolve: startEnvironmentInstall); undefined when pip
   * will (PyPy, a platform uv cannot target, uv not available). Throws only
   * CancelledError.
   */
  binaryFor(probe: InterpreterProbe, signal?: AbortSignal): Promise<string | undefined>;
  /** The shared wheel cache prepare() downloads into (mounted by the install). */
  readonly wheelsDir: string;
  /**
   * Django's wheel of `version` in the shared wheel cache, before resolve is
   * done (the builder's Django first: its ~3,700 files are most of an
   * environment's unpacking, which can then run while uv resolves the rest).
   * From the index's PEP 691 page, checked against its sha256 like every
   * download; a download resolve asks for too is shared. Resolves the file
   * name, or undefined when the index has no such wheel or anything fails:
   * this only saves time, the full install after resolve decides.
   */
  fetchDjangoWheel(version: string, options?: { signal?: AbortSignal }): Promise<string | undefined>;
  /** Start fetching uv when it is not there yet (the first build on a new data directory), so it overlaps the other preparations; never throws. */
  warmUp(): void;
}

export interface UvInstallerOptions {
  host: HostPython;
  runPip: PipRunner;
  /** Where uv itself is installed. */
  toolsDir: string;
  /** uv's cache (index metadata). */
  uvCacheDir: string;
  /** The shared wheel cache (the pip path's too). */
  wheelsDir: string;
  /** Project pages of the operator's index (createProjectPageMemo, shared with the Django version pick). */
  pages: (project: string) => Promise<ProjectPage | undefined>;
}

export function createUvInstaller(options: UvInstallerOptions): UvInstaller {
  let uvBinary: Promise<string> | undefined;
  const resolutions = new Map<string, Promise<LockedWheel[]>>();
  const fetcher = createWheelFetcher({ host: options.host, wheelsDir: options.wheelsDir });
  /**
   * Django wheels fetchDjangoWheel is fetching or fetched that no prepare() has counted yet, with whether
   * that fetch downloaded it (the build's wheel metrics). Registered when the fetch starts, so a prepare()
   * that comes while it is in flight waits for it and counts it once (ensure() then finds the file).
   */
  const fetchedEarly = new Map<string, Promise<boolean>>();
  const uv = (signal?: AbortSignal) => {
    uvBinary ??= ensureUv({ toolsDir: options.toolsDir, runPip: options.runPip, host: options.host, signal }).catch((error) => {
      uvBinary = undefined;
      throw error;
    });
    return uvBinary;
  };

  return {
    wheelsDir: options.wheelsDir,
    async binaryFor(probe, signal) {
      if (!uvPlatform(probe)) return undefined;
      try {
        return await uv(signal);
      } catch {
        if (signal?.aborted) throw new CancelledError();
        return undefined; // prepare() says why, and pip takes over
      }
    },
    async fetchDjangoWheel(version, { signal } = {}) {
      // A version is a file name's part below: nothing but what PEP 440 versions are made of.
      if (!/^[0-9][0-9A-Za-z.!+_]*$/.test(version)) return undefined;
      try {
        // Already in the cache (a new environment of a known Django): no index request.
        for (const file of [`django-${version}-py3-none-any.whl`, `Django-${version}-py3-none-any.whl`]) {
          if (await access(join(options.wheelsDir, file)).then(() => true, () => false)) return file;
        }
        const page = await options.pages("django");
        const wheel = page && pickDjangoWheel(page.files, page.url, version);
        if (!wheel) return undefined;
        const downloaded = fetcher.ensure([wheel], { signal }).then((count) => count > 0);
        if (!fetchedEarly.has(wheel.file)) fetchedEarly.set(wheel.file, downloaded.catch(() => false));
        await downloaded;
        return wheel.file;
      } catch {
        return undefined;
      }
    },
    warmUp() {
      uv().catch(() => undefined);
    },
    async prepare(request) {
      // uv's --python-platform targets CPython: PyPy's wheels (pp tags) are pip's.
      if (request.probe.implementation === "pypy") {
        request.onLine?.("ponyci: PyPy: pip resolves and installs (uv targets CPython)");
        return undefined;
      }
      let binary: string;
      try {
        binary = await uv(request.signal);
      } catch (error) {
        if (error instanceof CancelledError || request.signal?.aborted) throw new CancelledError();
        request.onLine?.(`ponyci: uv is not available (${error instanceof Error ? error.message.split("\n")[0] : String(error)}): using pip`);
        return undefined;
      }
      const requirements = [`django==${request.django}`, ...request.requirements];
      const key = createHash("sha256")
        .update(JSON.stringify([request.probe, [...new Set(requirements)].sort(), [...new Set(request.constraints)].sort()]))
        .digest("hex");
      const t0 = Date.now();
      let pending = resolutions.get(key);
      const shared = pending !== undefined;
      if (!pending) {
        pending = resolveWithUv({ uv: binary, host: options.host, cacheDir: options.uvCacheDir, probe: request.probe, requirements, constraints: request.constraints, scratchDir: request.scratchDir, signal: request.signal, onLine: request.onLine });
        resolutions.set(key, pending);
        // Kept only while in flight: a later build asks the index again (new releases).
        void pending.then(() => resolutions.delete(key), () => resolutions.delete(key));
      }
      let wheels: LockedWheel[];
      try {
        wheels = await pending;
      } catch (error) {
        if (error instanceof CancelledError) throw error;
        if (error instanceof UvResolutionError) {
          if (error.kind === "needs-build") {
            request.onLine?.("ponyci: uv: a requirement has no wheel for this Python; pip builds it in a container instead");
            return undefined;
          }
          throw new EnvironmentError(error.kind, error.message);
        }
        throw error;
      }
      request.onPhase?.("resolve", Date.now() - t0, `uv${shared ? ", shared with another cell" : ""}, ${new Set(wheels.map((w) => w.name)).size} packages`);
      const t1 = Date.now();
      // A wheel fetched early for this build (Django first) counts as this build's download, once.
      let early = 0;
      for (const file of new Set(wheels.map((w) => w.file))) {
        const fetching = fetchedEarly.get(file);
        if (!fetching) continue;
        fetchedEarly.delete(file);
        if (await fetching) early++;
      }
      const downloaded = early + (await fetcher.ensure(wheels, { signal: request.signal }));
      const distinct = new Set(wheels.map((w) => w.file)).size;
      request.onPhase?.("download", Date.now() - t1, `${downloaded} of ${distinct} wheels downloaded, the rest cached`);
      request.onWheels?.({ downloaded, cached: distinct - downloaded });
      // One wheel per project is named to the installer (uv lists every compatible one): a platform wheel over a pure one.
      const chosen = new Map<string, string>();
      for (const wheel of wheels) {
        const current = chosen.get(wheel.name);
        if (!current || (current.endsWith("-none-any.whl") && !wheel.file.endsWith("-none-any.whl"))) chosen.set(wheel.name, wheel.file);
      }
      return { files: [...chosen.values()].sort(), uv: binary, wheelsDir: options.wheelsDir };
    },
  };
}

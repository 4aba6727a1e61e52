import type Docker from "dockerode";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { buildEnvironmentDir, type EnvironmentInstall, type environmentStore } from "./build-environment-dir.js";
import type { FetchedWheels } from "./fetch-environment-wheels.js";
import { installWithMarkerDeps } from "./install-with-marker-deps.js";
import { linkIntoDir } from "./link-into-dir.js";
import type { BuildContainerLimits } from "./run-build-container.js";
import type { PhaseClock } from "./create-phase-clock.js";

export interface InstallRequest {
  baseImage: string;
  key: string;
  python: string;
  django: string;
  store: ReturnType<typeof environmentStore>;
  /** The build's directory under the store's `envs/` (".build-…"). */
  buildName: string;
  wheels: FetchedWheels;
  scratchDir: string;
  limits: BuildContainerLimits;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  clock: PhaseClock;
  /** A uv install started before resolve (startEnvironmentInstall): used when uv resolved, else cancelled first. */
  early?: EnvironmentInstall;
}

/**
 * The unpack, link and install phase, timed as "install": one no-network
 * build container (buildEnvironmentDir, or the one started early). With uv, the wheels are unpacked
 * once into the store's `unpacked/` and hard-linked into the venv; with
 * pip, an offline pip install, retried for dependencies host pip left out
 * because of a marker evaluated for the host (installWithMarkerDeps; uv
 * resolved for the target and needs no retry). Resolves the installed
 * packages as "name==version", sorted.
 */
export async function installEnvironment(docker: Docker, request: InstallRequest): Promise<string[]> {
  const { wheels, early } = request;
  const viaUv = wheels.resolver === "uv";
  if (viaUv && early) {
    // Its container has been started and its venv made while resolve and download ran: only the install itself is timed.
    const venvMs = early.venvMs();
    const head = venvMs === undefined ? "its venv still being made when the wheels were there" : `its start and venv (${(venvMs / 1000).toFixed(1)} s) off the critical path`;
    return request.clock.time("install", () => early.finish(wheels.files), () => `uv, offline, hard links into the store; container started early, ${head}${describeDjangoFirst(early.preinstalled())}`);
  }
  await early?.cancel();
  return installWithMarkerDeps({
    retries: viaUv ? 0 : 5,
    install: (files) =>
      request.clock.time(
        "install",
        async () => {
          await rm(join(request.store.envs, request.buildName), { recursive: true, force: true });
          return buildEnvironmentDir(docker, {
            baseImage: request.baseImage, key: request.key, python: request.python, django: request.django, wheelsDir: wheels.wheelsDir, files,
            store: request.store, buildName: request.buildName, limits: request.limits, signal: request.signal, onLine: request.onLine, uv: wheels.uv,
          });
        },
        () => (viaUv ? "uv, offline, hard links into the store" : "pip, offline"),
      ),
    download: async (requirement, round) => {
      const extra = join(request.scratchDir, `marker-deps-${round}`);
      await wheels.downloadMore([requirement], extra);
      return linkIntoDir(extra, wheels.wheelsDir);
    },
    files: wheels.files,
    onLine: request.onLine,
  });
}

/** How the early install of Django went (EnvironmentInstall.preinstall), for the install's log line. */
function describeDjangoFirst(pre: ReturnType<EnvironmentInstall["preinstalled"]>): string {
  if (!pre) return "; Django not unpacked early (its wheel came after the rest)";
  if (pre.outcome === "failed") return "; Django's early unpack failed, the install did it";
  return `; Django unpacked early (${(pre.ms / 1000).toFixed(1)} s${pre.waited ? ", the install waited for its end" : ", while uv resolved"})`;
}

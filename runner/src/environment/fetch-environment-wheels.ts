import type Docker from "dockerode";
import { join } from "node:path";
import type { HostPython } from "../../../src/domain/host-python.js";
import type { Resolver } from "../../../src/domain/environment-metrics.js";
import { downloadWheels } from "./download-wheels.js";
import { pipTargetArgs, type InterpreterProbe } from "./pip-target-args.js";
import type { PipRunner } from "./run-pip.js";
import type { BuildContainerLimits } from "./run-build-container.js";
import type { ToolchainImages } from "./toolchain/create-toolchain-images.js";
import type { UvInstaller } from "./uv/create-uv-installer.js";
import type { PhaseClock } from "./create-phase-clock.js";

/** Where and with what a build fetches its wheels (the builder's, shared by all builds). */
export interface WheelSources {
  docker: Docker;
  host: HostPython;
  runPip: PipRunner;
  buildLimits: BuildContainerLimits;
  toolchain: ToolchainImages;
  uvInstaller: UvInstaller;
  resolver: Resolver;
  /** The shared cache of index wheels (the pip path's). */
  sharedWheelsDir: string;
  onWheels?: (counts: { downloaded: number; cached: number }) => void;
}

/** One build's input to its resolve and download phases. */
export interface WheelsRequest {
  python: string;
  django: string;
  baseImage: string;
  interpreter: InterpreterProbe;
  requirements: string[];
  constraints: string[];
  constraintsFile?: string;
  /** This repository's wheels built from source (pip path). */
  builtWheelsDir: string;
  scratchDir: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  clock: PhaseClock;
}

export interface FetchedWheels {
  /** The resolver that did it: "pip" when uv handed over (a requirement to build, a target uv cannot name). */
  resolver: Resolver;
  /** Wheel file names to install, in `wheelsDir`. */
  files: string[];
  wheelsDir: string;
  /** uv's binary (uv path) for the offline install. */
  uv?: string;
  /** pip path: download more requirements into `into` (the marker retries of installWithMarkerDeps). */
  downloadMore(requirements: string[], into: string): Promise<string[]>;
}

/**
 * The resolve and download phases. uv first: resolved for the image's exact
 * target, every wheel downloaded against the index's sha256 into the shared
 * cache. What uv cannot do without building goes to host pip, which
 * resolves and downloads in one go (and builds a source distribution in a
 * hardened container): timed as "download".
 */
export async function fetchEnvironmentWheels(sources: WheelSources, request: WheelsRequest): Promise<FetchedWheels> {
  const dest = join(request.scratchDir, "wheels");
  const downloadMore = (requirements: string[], into: string) =>
    downloadWheels({
      host: sources.host, buildLimits: sources.buildLimits, builtWheelsDir: request.builtWheelsDir, runPip: sources.runPip, docker: sources.docker,
      image: request.baseImage, python: request.python, targetArgs: pipTargetArgs(request.interpreter), django: request.django,
      requirements, constraintsFile: request.constraintsFile, dest: into, wheelsDir: sources.sharedWheelsDir, scratchDir: request.scratchDir,
      signal: request.signal, onLine: request.onLine,
      sdistImage: () => sources.toolchain.buildImage(request.baseImage, { signal: request.signal, onLine: request.onLine }),
    });
  if (sources.resolver === "uv") {
    const viaUv = await sources.uvInstaller.prepare({
      probe: request.interpreter, django: request.django, requirements: request.requirements, constraints: request.constraints, scratchDir: request.scratchDir,
      signal: request.signal, onLine: request.onLine, onPhase: (phase, ms, detail) => request.clock.phase(phase, ms, detail), onWheels: sources.onWheels,
    });
    if (viaUv) return { resolver: "uv", files: viaUv.files, wheelsDir: viaUv.wheelsDir, uv: viaUv.uv, downloadMore };
  }
  request.clock.setResolver("pip");
  const files = await request.clock.time("download", () => downloadMore(request.requirements, dest), () => "pip: resolve and download");
  return { resolver: "pip", files, wheelsDir: dest, downloadMore };
}

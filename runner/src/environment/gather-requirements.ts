import type Docker from "dockerode";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { EnvironmentRequest } from "../../../src/domain/environment.js";
import { addDatabaseDriver } from "../services/add-database-driver.js";
import { checkRequirementLines } from "./check-requirement-lines.js";
import { requirementsForExtras } from "./project-metadata/parse-core-metadata.js";
import { prepareProjectMetadata } from "./project-metadata/prepare-project-metadata.js";
import { pipTargetArgs, type InterpreterProbe } from "./pip-target-args.js";
import type { PipRunner } from "./run-pip.js";
import type { BuildContainerLimits } from "./run-build-container.js";

/** What an environment installs, every line checked (checkRequirementLines), with where it came from and notes for the cell log. */
export interface GatheredRequirements {
  requirements: string[];
  constraints: string[];
  sources: string[];
  notes: string[];
}

/**
 * What to install: the planner decided it; checked again here, so nothing
 * but a re-serialised requirement reaches pip or uv. The database's driver
 * is added. Throws EnvironmentError ("project") for a line that does not parse.
 */
export function gatherRequirements(request: EnvironmentRequest): GatheredRequirements {
  const requirements = checkRequirementLines(request.requirements, "requirements");
  return {
    requirements: addDatabaseDriver(requirements, request.database),
    constraints: checkRequirementLines(request.constraints ?? [], "constraints"),
    sources: request.sources ?? [],
    notes: request.notes ?? [],
  };
}

export interface ProjectMetadataContext {
  docker: Docker;
  cacheDir: string;
  /** The shared wheel cache (build backends are installed from it). */
  wheelsDir: string;
  runPip: PipRunner;
  limits: BuildContainerLimits;
  baseImage: string;
  interpreter: InterpreterProbe;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/**
 * `gathered` plus the dependencies and extras the project's build backend
 * declares (prepareProjectMetadata: a hardened build container, cached by
 * the source's key), each checked again like the planner's. A request
 * without a project is returned as it is.
 */
export async function addProjectMetadata(request: EnvironmentRequest, gathered: GatheredRequirements, context: ProjectMetadataContext): Promise<GatheredRequirements> {
  const project = request.project;
  if (!project) return gathered;
  await mkdir(join(context.cacheDir, "tmp"), { recursive: true });
  const metadata = await prepareProjectMetadata({
    docker: context.docker, image: context.baseImage, python: request.python, sourceDir: project.dir, sourceKey: project.sourceKey, scope: request.cacheScope ?? "",
    cacheDir: context.cacheDir, wheelsDir: context.wheelsDir, scratchDir: join(context.cacheDir, "tmp"), runPip: context.runPip, targetArgs: pipTargetArgs(context.interpreter),
    limits: context.limits, signal: context.signal, onLine: context.onLine, ...project.buildSystem,
  });
  const optional = (project.optionalExtras ?? []).filter((extra) => metadata.providesExtra.includes(extra.toLowerCase().replace(/[-_.]+/g, "-")));
  const extras = [...new Set([...project.extras, ...optional])];
  const { requirements, missing } = requirementsForExtras(metadata, extras);
  const notes = [...gathered.notes];
  if (missing.length > 0) notes.push(`extras ${missing.join(", ")} are not provided by ${metadata.name}: not installed`);
  for (const refused of metadata.refused) notes.push(`${metadata.name} requires ${refused}: not installed`);
  return {
    ...gathered,
    sources: [...gathered.sources, `${metadata.name} metadata from its build backend${extras.length ? ` [${extras.join(",")}]` : ""}`],
    notes,
    requirements: checkRequirementLines([...gathered.requirements, ...requirements], "project metadata"),
  };
}

import { parse as parseToml } from "smol-toml";
import type { ProjectMetadataSpec } from "../domain/job-spec.js";
import { parseRequirementLine } from "../domain/parse-requirement-line.js";
import type { ReadRepoFile } from "./matrix/read-repo-file.js";

/**
 * Whether the project's dependencies or extras are known only to its build
 * backend: pyproject.toml has no `[project]` table and a setup.py exists (it
 * computes them; setup.cfg, which planning reads, may hold only part), or
 * `[project] dynamic` names `dependencies` or `optional-dependencies`. Pure:
 * presence and static TOML only, nothing of the repository runs here.
 */
export function hasDynamicMetadata(readFile: ReadRepoFile): boolean {
  const project = readPyprojectTable(readFile)?.project;
  if (isTable(project)) {
    const dynamic = Array.isArray(project.dynamic) ? project.dynamic : [];
    return dynamic.includes("dependencies") || dynamic.includes("optional-dependencies");
  }
  return readFile("setup.py") !== undefined;
}

/**
 * The job spec's `projectMetadata` when the runner must ask the build backend
 * (see hasDynamicMetadata) because the cell installs the project: `extras`
 * the cell names, `optionalExtras` taken when provided. `[build-system]` is
 * passed on with each requirement re-serialised; one that does not parse is
 * dropped with the table (the runner then uses PEP 517's setuptools
 * fallback, and a backend that needs more fails with its own message).
 * Undefined when the metadata is static. Pure.
 */
export function projectMetadataSpec(readFile: ReadRepoFile, wanted: { extras: string[]; optionalExtras?: readonly string[] }): ProjectMetadataSpec | undefined {
  if (!hasDynamicMetadata(readFile)) return undefined;
  const spec: ProjectMetadataSpec = { extras: [...new Set(wanted.extras)] };
  if (wanted.optionalExtras?.length) spec.optionalExtras = [...wanted.optionalExtras];
  const system = readPyprojectTable(readFile)?.["build-system"];
  if (isTable(system) && Array.isArray(system.requires)) {
    const requires: string[] = [];
    for (const entry of system.requires) {
      const parsed = typeof entry === "string" ? parseRequirementLine(entry) : undefined;
      if (parsed?.type !== "requirement") return spec;
      requires.push(parsed.spec);
    }
    spec.buildSystem = { requires };
    if (typeof system["build-backend"] === "string") spec.buildSystem.backend = system["build-backend"];
    if (Array.isArray(system["backend-path"])) spec.buildSystem.backendPath = system["backend-path"].filter((p): p is string => typeof p === "string");
  }
  return spec;
}

function readPyprojectTable(readFile: ReadRepoFile): Record<string, unknown> | undefined {
  const text = readFile("pyproject.toml");
  if (text === undefined) return undefined;
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch {
    return undefined; // broken TOML is reported where requirements are read
  }
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

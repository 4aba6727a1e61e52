import { readFileSync } from "node:fs";
import path from "node:path";
import { detectTestRequirements } from "../../src/builds/detect-test-requirements.js";
import { environmentSpecFor } from "../../src/builds/plan-job-spec.js";
import type { EnvironmentSpec } from "../../src/domain/job-spec.js";

/**
 * What the planner decides to install for a checkout holding `files`, in the
 * shape of an environment request (requirements, constraints, sources,
 * notes): tests of the environment builder ask for what real planning asks.
 */
export function planRequirements(files: Record<string, string>): { requirements: string[]; constraints: string[]; sources: string[]; notes: string[] } {
  const detected = detectTestRequirements({ readFile: (path) => files[path] });
  return { requirements: detected.requirements, constraints: detected.constraints, sources: detected.sources, notes: detected.notes };
}

/**
 * A job spec's `environment` for a cell of the checkout in `dir` (a fixture
 * project), with the requirements the planner detects there: what runner
 * tests ask for, like real planning. Reads only inside `dir`.
 */
export function plannedEnvironment(dir: string, cell: { python: string; django: string }): EnvironmentSpec {
  const root = path.resolve(dir);
  const detected = detectTestRequirements({
    readFile: (file) => {
      const full = path.resolve(root, file);
      if (!full.startsWith(root + path.sep)) return undefined;
      try {
        return readFileSync(full, "utf8");
      } catch {
        return undefined;
      }
    },
  });
  return environmentSpecFor(cell, detected);
}

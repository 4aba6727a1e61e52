import { detectTestRequirements } from "../../src/builds/detect-test-requirements.js";

/**
 * What the planner decides to install for a checkout holding `files`, in the
 * shape of an environment request (requirements, constraints, sources,
 * notes): tests of the environment builder ask for what real planning asks.
 */
export function planRequirements(files: Record<string, string>): { requirements: string[]; constraints: string[]; sources: string[]; notes: string[] } {
  const detected = detectTestRequirements({ readFile: (path) => files[path] });
  return { requirements: detected.requirements, constraints: detected.constraints, sources: detected.sources, notes: detected.notes };
}

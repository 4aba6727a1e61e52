import type { Cell } from "../domain/cell.js";
import type { JobSpec } from "../domain/job-spec.js";
import type { MatrixPlan } from "./plan-matrix.js";

/**
 * The job spec of one planned cell: the one place that turns a repository's
 * settings and tox configuration into what a runner executes. Pure.
 * - requirements: the config's `install:`, exactly (it replaces detection and
 *   tox deps alike, as docs/repo-config.md says), or else the tox deps of
 *   the cell, with the runner adding what it detects in the checkout;
 * - timeout: the config's `timeout:` only when the repository has a config
 *   file, else the runner's default.
 */
export function planJobSpec(plan: Pick<MatrixPlan, "config" | "depsFor">, cell: Cell, options: { onlyTests?: string[] } = {}): JobSpec {
  const { config } = plan;
  return {
    cell,
    environment: {
      python: cell.python,
      django: cell.django,
      requirements: config.install ? [...config.install] : (plan.depsFor(cell) ?? []),
      detectRequirements: config.install === undefined,
    },
    env: { ...config.env },
    command: config.test,
    onlyTests: options.onlyTests,
    timeoutSec: config.file ? config.timeout : undefined,
  };
}

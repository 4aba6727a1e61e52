import { usesService, type Cell } from "../domain/cell.js";
import type { JobSpec } from "../domain/job-spec.js";
import type { MatrixPlan } from "./plan-matrix.js";

/**
 * The job spec of one planned cell: the one place that turns a repository's
 * settings and tox configuration into what a runner executes. Pure.
 * - requirements: the config's `install:`, exactly (it replaces detection and
 *   tox deps alike, as docs/repo-config.md says), or else the tox deps of
 *   the cell, with the runner adding what it detects in the checkout;
 * - timeout: the config's `timeout:` only when the repository has a config
 *   file, else the runner's default;
 * - services: the cell's database service (version and server arguments
 *   from the config), and the environment asks for its driver.
 */
export function planJobSpec(plan: Pick<MatrixPlan, "config" | "depsFor"> & Partial<Pick<MatrixPlan, "services">>, cell: Cell, options: { onlyTests?: string[] } = {}): JobSpec {
  const { config } = plan;
  // The cell's database service (planMatrix checked it is provided; a config-less default otherwise).
  const service = usesService(cell) ? (plan.services?.find((s) => s.name === cell.database) ?? { name: cell.database, args: [] }) : undefined;
  const spec: JobSpec = {
    cell,
    environment: {
      python: cell.python,
      django: cell.django,
      requirements: config.install ? [...config.install] : (plan.depsFor(cell) ?? []),
      detectRequirements: config.install === undefined,
      ...(service ? { database: service.name } : {}),
    },
    env: { ...config.env },
    command: config.test,
    onlyTests: options.onlyTests,
    timeoutSec: config.file ? config.timeout : undefined,
  };
  if (service) spec.services = [service];
  return spec;
}

import { cellName, usesService, type Cell } from "../../domain/cell.js";
import type { ServiceName, ServiceSpec } from "../../domain/database.js";
import { RepoConfigError } from "../config/repo-config-error.js";

/**
 * Every cell that runs on a database service must find that service among
 * `available` (the config's `services:`, plus those a tox envlist's database
 * factors ask for). Pure.
 * @throws RepoConfigError naming the first cell whose service is missing and
 *   how to fix the config.
 */
export function checkServices(cells: readonly Cell[], available: readonly ServiceSpec[], where: { file: string; line?: number }): void {
  for (const cell of cells) {
    if (!usesService(cell) || available.some((s) => s.name === cell.database)) continue;
    const { file, line } = where;
    throw new RepoConfigError({
      file, line,
      message: `${file}: ${cellName(cell)} needs a ${cell.database} database service, but no \`services:\` entry provides one. Add \`services: [${[...available.map((s) => s.name), cell.database].join(", ")}]\` to ${file}, or leave ${cell.database} out of \`database:\`.`,
    });
  }
}

/**
 * Cells without a database, multiplied by the services the config lists
 * (`services: [postgres]` alone runs every cell on PostgreSQL, as a GitHub
 * Actions job runs with its services). Cells that name a database already
 * are kept as they are; no services: the cells unchanged. Pure.
 */
export function addDatabaseAxis(cells: readonly Cell[], services: readonly ServiceSpec[]): Cell[] {
  if (services.length === 0) return [...cells];
  return cells.flatMap((cell) => (cell.database !== undefined ? [cell] : services.map((s) => ({ ...cell, database: s.name }))));
}

/**
 * The services a plan provides: the config's, plus a default one (no
 * version, no arguments) for each service a tox database factor asks for
 * that the config does not list.
 */
export function servicesWithToxDefaults(configured: readonly ServiceSpec[], cells: readonly Cell[]): ServiceSpec[] {
  const services = [...configured];
  for (const cell of cells) {
    if (!usesService(cell) || services.some((s) => s.name === cell.database)) continue;
    const name: ServiceName = cell.database;
    services.push({ name, args: [] });
  }
  return services;
}

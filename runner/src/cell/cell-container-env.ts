import type { CellSpec } from "../../../src/domain/cell-runner.js";
import { ciEnvironment, containerFixedEnvironment } from "../../../src/domain/ci-environment.js";
import { databaseEnv } from "../../../src/domain/database.js";
import { applyShardEnv } from "./apply-shard-env.js";

/** The workspace's path inside the test container. */
export const CONTAINER_WORKSPACE = "/workspace";
/** The events file inside the container: a bind mount of the host's own file (see openEventsFile). */
export const CONTAINER_EVENTS = "/ponyci/out/events.jsonl";

/**
 * The test container's variables for a cell (before a db template's): the CI
 * conventions, the database's standard variables, the repository's `env:`,
 * then what the harness reads, which the repository cannot set
 * (PONYCI_* orders are only ever Pony CI's).
 */
export function cellContainerEnv(spec: CellSpec, pythonPath: string[], workers: number): Record<string, string> {
  // The database's standard variables first: the repository's `env:` may override them.
  const service = spec.services?.[0];
  const database = service?.name ?? (spec.cell.database === "sqlite" ? "sqlite" : undefined);
  const env: Record<string, string> = { ...ciEnvironment, ...(database ? databaseEnv(database) : {}), ...spec.env };
  if (service) env.PONYCI_DATABASE = service.name;
  Object.assign(env, {
    ...containerFixedEnvironment,
    PONYCI_EVENTS: CONTAINER_EVENTS,
    PONYCI_REPO_ROOT: CONTAINER_WORKSPACE,
  });
  if (spec.commands) env.PONYCI_COMMANDS = JSON.stringify(spec.commands);
  else if (spec.command) env.PONYCI_TEST_COMMAND = spec.command;
  if (spec.onlyTests && spec.onlyTests.length > 0) env.PONYCI_ONLY_TESTS = JSON.stringify(spec.onlyTests);
  applyShardEnv(env, spec.shard);
  delete env.PONYCI_POSARGS;
  if (spec.posargs && spec.posargs.length > 0 && !spec.commands && !spec.command) env.PONYCI_POSARGS = JSON.stringify(spec.posargs);
  delete env.PONYCI_FIRST;
  for (const name of Object.keys(env)) if (name.startsWith("PONYCI_DB_TEMPLATE")) delete env[name];
  delete env.PONYCI_WORKERS;
  delete env.PONYCI_ORDER;
  if (workers > 1) {
    env.PONYCI_WORKERS = String(workers);
    if (spec.testOrder && spec.testOrder.length > 0) env.PONYCI_ORDER = JSON.stringify(spec.testOrder);
  }
  if (spec.firstTests && spec.firstTests.length > 0) env.PONYCI_FIRST = JSON.stringify(spec.firstTests);
  if (pythonPath.length > 0) env.PYTHONPATH = [...pythonPath, spec.env.PYTHONPATH].filter(Boolean).join(":");
  return env;
}

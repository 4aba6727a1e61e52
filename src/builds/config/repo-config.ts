import type { NotifyConfig } from "./notify-config.js";
import type { ServiceSpec } from "../../domain/database.js";
import type { MatrixSpec } from "../matrix/expand-matrix.js";
import { createDefaultTestPolicy, type TestPolicy } from "../../domain/test-policy.js";
import type { ScheduleEntry } from "./read-schedule.js";
import { defaultCellTimeoutSeconds } from "../../domain/cell-timeout.js";

/** Where Pony CI looks for a repository's settings, first match wins. */
export const repoConfigPaths: readonly string[] = [".github/ponyci.yml", ".github/ponyci.yaml"];

/** Upper bound for `timeout:`: two hours per cell. */
export const maxTimeoutSeconds = 7200;

/**
 * A repository's settings, from `.github/ponyci.yml` or the defaults
 * (the user-facing reference is docs/repo-config.md).
 */
export interface RepoConfig {
  /** The file the settings came from; undefined when the repository has none. */
  file: string | undefined;
  /** The matrix keys (python, django, include, exclude); undefined when the file has none of them. */
  matrix: MatrixSpec | undefined;
  /** Shell command that runs the tests; undefined: the runner detects one. */
  test: string | undefined;
  /** pip requirement lines replacing the detected test dependencies; undefined: detect. */
  install: string[] | undefined;
  /** Extra environment variables for every cell. */
  env: Record<string, string>;
  /** Seconds each cell may run before it is stopped. */
  timeout: number;
  /** How failing tests are judged: quarantine, already failing, confirmation re-runs, failed first. */
  tests: TestPolicy;
  /**
   * `services:`: the database services cells may use (at most one per name),
   * server arguments validated. The `database:` axis picks one per cell.
   */
  services: ServiceSpec[];
  /** `notify:`: who hears about failed and recovered builds (src/notify); undefined: nobody. */
  notify?: NotifyConfig;
  /** `schedule:` (read on the default branch only): cron entries in UTC that build branches' heads. */
  schedule: ScheduleEntry[];
}

/** The settings of a repository without a config file. */
export function createDefaultRepoConfig(): RepoConfig {
  return { file: undefined, matrix: undefined, test: undefined, install: undefined, env: {}, timeout: defaultCellTimeoutSeconds, tests: createDefaultTestPolicy(), services: [], schedule: [] };
}

import path from "node:path";
import type Docker from "dockerode";
import type { GcSource } from "../../../src/domain/gc-item.js";
import { createEnvironmentSource } from "./list-environment-items.js";
import { createMirrorSource } from "./list-mirror-items.js";
import { createWheelSource, wheelDirsOf } from "./list-wheel-items.js";
import { createWorkspaceSource } from "./list-workspace-items.js";
import { createDbTemplateSource } from "./list-db-template-items.js";
import type { ListJobDirsOptions } from "./list-job-dirs.js";
import { createToolchainImageSource } from "./list-toolchain-image-items.js";

/** Where the runner keeps what it caches, under its data directory (create-local-runner wires the same). */
export function runnerLayout(dataDir: string) {
  return {
    gitDir: path.join(dataDir, "git"),
    mirrorUseDir: path.join(dataDir, "git", "used"),
    environmentsDir: path.join(dataDir, "environments"),
    environmentUseDir: path.join(dataDir, "environments", "used"),
    workDir: path.join(dataDir, "work"),
    /** run-cell.ts's default template store: `<workDir>/db-templates`. */
    dbTemplatesDir: path.join(dataDir, "work", "db-templates"),
  };
}

export interface RunnerSourcesOptions extends ListJobDirsOptions {
  docker: Docker;
  dataDir: string;
  /**
   * Also the Docker daemon's toolchain images (list-toolchain-image-items.ts).
   * Opt-in: they are the daemon's, not the data directory's, so a collector
   * of a scratch directory (tests) must not remove another's.
   */
  toolchainImages?: boolean;
}

/** The garbage collector's sources for one runner data directory: environments, wheels, mirrors, workspaces, test-database templates. */
export function createRunnerSources(options: RunnerSourcesOptions): GcSource[] {
  const layout = runnerLayout(options.dataDir);
  return [
    createEnvironmentSource({ docker: options.docker, cacheDir: layout.environmentsDir, usedDir: layout.environmentUseDir, now: options.now }),
    createWheelSource({ dirs: () => wheelDirsOf(layout.environmentsDir) }),
    createMirrorSource({ ...options, gitDir: layout.gitDir, workDir: layout.workDir, usedDir: layout.mirrorUseDir }),
    createWorkspaceSource({ ...options, workDir: layout.workDir }),
    createDbTemplateSource({ dir: layout.dbTemplatesDir, ...(options.isAlive ? { isAlive: options.isAlive } : {}), ...(options.now !== undefined ? { now: options.now } : {}) }),
    ...(options.toolchainImages ? [createToolchainImageSource({ docker: options.docker })] : []),
  ];
}

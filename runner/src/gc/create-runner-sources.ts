import path from "node:path";
import type Docker from "dockerode";
import { ENV_IMAGE_REPO } from "../environment/environment.js";
import { LAYER_IMAGE_REPO } from "../environment/uv/ensure-django-layer.js";
import type { GcSource } from "./gc-item.js";
import { createImageSource } from "./list-image-items.js";
import { createMirrorSource } from "./list-mirror-items.js";
import { createWheelSource, wheelDirsOf } from "./list-wheel-items.js";
import { createWorkspaceSource } from "./list-workspace-items.js";
import type { ListJobDirsOptions } from "./list-job-dirs.js";

/** Where the runner keeps what it caches, under its data directory (create-local-runner wires the same). */
export function runnerLayout(dataDir: string) {
  return {
    gitDir: path.join(dataDir, "git"),
    mirrorUseDir: path.join(dataDir, "git", "used"),
    environmentsDir: path.join(dataDir, "environments"),
    imageUseDir: path.join(dataDir, "environments", "used"),
    workDir: path.join(dataDir, "work"),
  };
}

export interface RunnerSourcesOptions extends ListJobDirsOptions {
  docker: Docker;
  dataDir: string;
  /** Image repositories collected; default ponyci/env and ponyci/env-layer (tests use their own). */
  imageRepositories?: string[];
}

/** The garbage collector's sources for one runner data directory: images, wheels, mirrors, workspaces. */
export function createRunnerSources(options: RunnerSourcesOptions): GcSource[] {
  const layout = runnerLayout(options.dataDir);
  return [
    createImageSource({ docker: options.docker, repositories: options.imageRepositories ?? [ENV_IMAGE_REPO, LAYER_IMAGE_REPO], usedDir: layout.imageUseDir }),
    createWheelSource({ dirs: () => wheelDirsOf(layout.environmentsDir) }),
    createMirrorSource({ ...options, gitDir: layout.gitDir, workDir: layout.workDir, usedDir: layout.mirrorUseDir }),
    createWorkspaceSource({ ...options, workDir: layout.workDir }),
  ];
}

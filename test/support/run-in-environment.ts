import type Docker from "dockerode";
import { VENV_PATH, type Environment } from "../../src/domain/environment.js";
import { runBuildContainer } from "../../runner/src/environment/run-build-container.js";

/**
 * Run `script` the way a test container sees an environment: its base image,
 * the venv mounted read-only at /opt/venv, its PATH and VIRTUAL_ENV, as the
 * test user (10001) unless told otherwise, on a read-only root; no network.
 * Resolves the exit code and the output lines.
 */
export async function runInEnvironment(docker: Docker, env: Pick<Environment, "image" | "venvDir" | "containerEnv">, script: string, user = "10001:10001"): Promise<{ exitCode: number; lines: string[] }> {
  const lines: string[] = [];
  const { exitCode } = await runBuildContainer(
    docker,
    { image: env.image, script, env: [...Object.entries(env.containerEnv).map(([k, v]) => `${k}=${v}`), "HOME=/tmp"], binds: [`${env.venvDir}:${VENV_PATH}:ro`], user },
    { onLine: (l) => lines.push(l) },
  );
  return { exitCode, lines };
}

import type Docker from "dockerode";
import { LABEL_ENV_KEY, LABEL_MANAGED } from "../docker/labels.js";
import { describeError } from "../../../src/domain/errors.js";
import { ENV_IMAGE_REPO, VENV_PATH } from "./environment.js";
import { EnvironmentError } from "./environment-error.js";
import { LABEL_ENV_DJANGO, LABEL_ENV_PACKAGES, LABEL_ENV_PYTHON } from "./environment-labels.js";
import { runBuildContainer, type BuildContainerLimits } from "./run-build-container.js";

const FREEZE_MARK = "::ponyci-freeze::";
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface BuildEnvironmentImageOptions {
  baseImage: string;
  key: string;
  python: string;
  django: string;
  /** Host directory holding exactly the wheels to install (mounted read-only at /wheels). */
  wheelsDir: string;
  files: string[];
  /** The install imports the installed packages (`pip list` reads their .pth files): limits and a deadline apply. */
  limits?: BuildContainerLimits;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/**
 * Create /opt/venv in a no-network container from the base image, install
 * the given wheels offline, and commit it as `ponyci/env:<key>` with the venv
 * first on PATH, VIRTUAL_ENV set, the base image's CMD kept, and labels
 * (managed, env key, python, django, packages). Resolves the installed packages as "name==version".
 */
export async function buildEnvironmentImage(docker: Docker, options: BuildEnvironmentImageOptions): Promise<string[]> {
  let base: Docker.ImageInspectInfo;
  try {
    base = await docker.getImage(options.baseImage).inspect();
  } catch (error) {
    throw new EnvironmentError("infrastructure", `Base image ${options.baseImage} disappeared: ${describeError(error)}`, { cause: error });
  }
  const baseEnv = base.Config?.Env ?? [];
  const basePath = baseEnv.find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  const env = [...baseEnv.filter((e) => !e.startsWith("PATH=") && !e.startsWith("VIRTUAL_ENV=")), `PATH=${VENV_PATH}/bin:${basePath}`, `VIRTUAL_ENV=${VENV_PATH}`];
  const quoted = options.files.map((f) => `'/wheels/${f.replace(/'/g, "")}'`).join(" ");
  const script = [
    "set -e",
    `python3 -m venv ${VENV_PATH}`,
    `${VENV_PATH}/bin/python -m pip install --disable-pip-version-check --progress-bar off --no-cache-dir --no-index --find-links /wheels ${quoted}`,
    `echo '${FREEZE_MARK}'`,
    `${VENV_PATH}/bin/python -m pip list --format=freeze --disable-pip-version-check`,
  ].join("\n");
  const lines: string[] = [];
  let frozen: string[] | undefined;
  const labels = {
    [LABEL_MANAGED]: "1",
    [LABEL_ENV_KEY]: options.key,
    [LABEL_ENV_PYTHON]: options.python,
    [LABEL_ENV_DJANGO]: options.django,
  };
  const { timedOut } = await runBuildContainer(
    docker,
    { image: options.baseImage, script, env, binds: [`${options.wheelsDir}:/wheels:ro`], labels, limits: options.limits },
    {
      signal: options.signal,
      onLine: (line) => {
        if (frozen) {
          if (line.trim()) frozen.push(line.trim());
          return;
        }
        if (line === FREEZE_MARK) {
          frozen = [];
          return;
        }
        lines.push(line);
        options.onLine?.(line);
      },
      afterExit: async (container, exitCode) => {
        if (exitCode !== 0 || !frozen) {
          throw new EnvironmentError(
            "infrastructure",
            `Installing the downloaded wheels into ${VENV_PATH} failed (exit ${exitCode}) in ${options.baseImage}:\n${lines.slice(-10).join("\n")}`,
          );
        }
        const packages = installedPackages(frozen);
        try {
          await container.commit({
            _query: { container: container.id, repo: ENV_IMAGE_REPO, tag: options.key, comment: `Pony CI environment: Python ${options.python}, Django ${options.django}` },
            _body: {
              Env: env,
              Cmd: base.Config?.Cmd?.length ? base.Config.Cmd : ["python3"],
              Labels: { ...(base.Config?.Labels ?? {}), ...labels, [LABEL_ENV_PACKAGES]: packages.join(" ") },
            },
          });
        } catch (error) {
          throw new EnvironmentError("infrastructure", `Docker could not commit the environment image: ${describeError(error)}`, { cause: error });
        }
      },
    },
  );
  if (timedOut) throw new EnvironmentError("project", `Installing the downloaded wheels into ${VENV_PATH} did not finish within ${options.limits?.timeoutSec ?? "the build deadline"} s.`);
  return installedPackages(frozen ?? []);
}

/** "name==version" lines, like `pip freeze`: the installer's own packages left out. */
function installedPackages(lines: string[]): string[] {
  const tools = new Set(["pip", "setuptools", "wheel", "distribute", "pkg-resources"]);
  return lines.filter((l) => /^[A-Za-z0-9._-]+==\S+$/.test(l) && !tools.has(l.split("==")[0]!.toLowerCase())).sort();
}

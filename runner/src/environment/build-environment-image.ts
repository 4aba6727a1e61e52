import type Docker from "dockerode";
import { chmod, readdir } from "node:fs/promises";
import { join } from "node:path";
import { LABEL_ENV_KEY, LABEL_MANAGED } from "../docker/labels.js";
import { describeError } from "../../../src/domain/errors.js";
import { ENV_IMAGE_REPO, VENV_PATH } from "./environment.js";
import { EnvironmentError } from "./environment-error.js";
import { LABEL_ENV_DJANGO, LABEL_ENV_PACKAGES, LABEL_ENV_PYTHON } from "./environment-labels.js";
import { runBuildContainer, type BuildContainerLimits } from "./run-build-container.js";
import { ownedDirectoryArchive } from "./owned-directory-archive.js";

/**
 * The install runs as this uid/gid, not root: the wheels' code (a .pth file
 * runs at every start of the venv's Python, `pip list` included) can write
 * only the venv, which is the one thing it owns. See docs/architecture.md.
 */
export const ENV_BUILD_UID = 10001;

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
  /** Host path of a uv binary: mounted read-only and used for the venv and the offline install instead of pip (see installScript). */
  uv?: string;
  /**
   * Layering (uv only): start from this image, whose /opt/venv exists
   * already (a Django layer built from `baseImage`), and add to it.
   */
  parentImage?: string;
  /** Repository the image is committed to (default ponyci/env). */
  repository?: string;
  /** The install ended (the freeze follows, then the commit): for phase timings. */
  onInstalled?: () => void;
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
  const script = installScript(quoted, options.uv !== undefined, options.parentImage !== undefined);
  await letBuildUserRead(options.wheelsDir);
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
    {
      image: options.parentImage ?? options.baseImage,
      script,
      // HOME on the tmpfs: the installers' caches and config never land in the image.
      env: [...env, "HOME=/tmp"],
      binds: [`${options.wheelsDir}:/wheels:ro`, ...(options.uv ? [`${options.uv}:${UV_IN_CONTAINER}:ro`] : [])],
      labels,
      limits: options.limits,
      user: `${ENV_BUILD_UID}:${ENV_BUILD_UID}`,
    },
    {
      signal: options.signal,
      // The trusted step, from Pony CI's own code and before anything runs: the
      // (empty, or the Django layer's) venv directory, owned by the install's uid.
      beforeStart: async (container) => {
        await container.putArchive(await ownedDirectoryArchive(VENV_PATH, ENV_BUILD_UID), { path: "/" });
      },
      onLine: (line) => {
        if (frozen) {
          if (line.trim()) frozen.push(line.trim());
          return;
        }
        if (line === FREEZE_MARK) {
          frozen = [];
          options.onInstalled?.();
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
            _query: { container: container.id, repo: options.repository ?? ENV_IMAGE_REPO, tag: options.key, comment: `Pony CI environment: Python ${options.python}, Django ${options.django}` },
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

/**
 * The wheels directory is Pony CI's own (a scratch directory, 0700, inside
 * the 0700 cache): the install's uid must read it through the read-only
 * mount, so it and its regular files become 0755/0644. No host user gains
 * anything: the directories above stay 0700. Symlinks are left alone.
 */
async function letBuildUserRead(dir: string): Promise<void> {
  try {
    await chmod(dir, 0o755);
    for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isFile()) await chmod(join(dir, entry.name), 0o644);
  } catch (error) {
    throw new EnvironmentError("infrastructure", `Could not share ${dir} with the environment build: ${describeError(error)}`, { cause: error });
  }
}

/** Where the host's uv binary is mounted (read-only) in the build container. */
const UV_IN_CONTAINER = "/opt/ponyci-uv/uv";

/**
 * pip: `python3 -m venv` (with ensurepip) and an offline `pip install`.
 * uv: `uv venv` (no pip seeded: a few seconds less) and an offline `uv pip
 * install` from the same /wheels, no cache, no network (the container has
 * none either), byte-compiled like pip does (test containers cannot write
 * .pyc files); the venv stays a plain one of the base image's python3.
 */
function installScript(quoted: string, uv: boolean, layered = false): string {
  if (!uv) {
    return [
      "set -e",
      `python3 -m venv ${VENV_PATH}`,
      `${VENV_PATH}/bin/python -m pip install --disable-pip-version-check --progress-bar off --no-cache-dir --no-index --find-links /wheels ${quoted}`,
      `echo '${FREEZE_MARK}'`,
      `${VENV_PATH}/bin/python -m pip list --format=freeze --disable-pip-version-check`,
    ].join("\n");
  }
  const uvEnv = "UV_NO_CONFIG=1 UV_NO_CACHE=1 UV_OFFLINE=1 UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1";
  return [
    "set -e",
    ...(layered ? [] : [`${uvEnv} ${UV_IN_CONTAINER} venv --quiet --python "$(command -v python3)" ${VENV_PATH}`]),
    `${uvEnv} ${UV_IN_CONTAINER} pip install --python ${VENV_PATH}/bin/python --no-index --no-build --compile-bytecode --find-links /wheels ${quoted}`,
    `echo '${FREEZE_MARK}'`,
    `${uvEnv} ${UV_IN_CONTAINER} pip list --format freeze --python ${VENV_PATH}/bin/python 2>/dev/null`,
  ].join("\n");
}

/** "name==version" lines, like `pip freeze`: the installer's own packages left out. */
function installedPackages(lines: string[]): string[] {
  const tools = new Set(["pip", "setuptools", "wheel", "distribute", "pkg-resources"]);
  return lines.filter((l) => /^[A-Za-z0-9._-]+==\S+$/.test(l) && !tools.has(l.split("==")[0]!.toLowerCase())).sort();
}

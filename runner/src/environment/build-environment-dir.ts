import type Docker from "dockerode";
import { execa } from "execa";
import { randomBytes } from "node:crypto";
import { chmod, chown, lchown, lstat, mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { acquireFileLock } from "../checkout/acquire-file-lock.js";
import { writeFileAtomic } from "../../../src/util/write-file-atomic.js";
import { DEFAULT_PATH, SYSTEM_PATH } from "../../../src/domain/host-python.js";
import { basename, join } from "node:path";
import { describeError } from "../../../src/domain/errors.js";
import { VENV_PATH } from "../../../src/domain/environment.js";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { LABEL_ENV_DJANGO, LABEL_ENV_PYTHON } from "./environment-labels.js";
import { LABEL_ENV_KEY } from "../docker/labels.js";
import { runBuildContainer, type BuildContainerLimits } from "./run-build-container.js";
import { parseWheelFilename } from "./download-wheels.js";

/**
 * Environment builds run as this uid/gid, never root, and never as the uid
 * of test containers (10001): on the pip path the wheels' code runs (a .pth
 * file runs at every start of the venv's Python, `pip list` included) and
 * can write only the venv it builds; the store's files belong to this uid,
 * so test code, which only ever gets them read-only, would not own them
 * even through a writable path. See docs/architecture.md.
 */
export const ENV_BUILD_UID = 10002;

const FREEZE_MARK = "::ponyci-freeze::";
/** An early-started install's venv is made (startEnvironmentInstall): how much of the container's start left the critical path. */
const VENV_READY_MARK = "::ponyci-venv-ready::";
/** An early-started install's early install (EnvironmentInstall.preinstall) started, and ended (" ok" or " failed"). */
const PRE_START_MARK = "::ponyci-pre-start::";
const PRE_DONE_MARK = "::ponyci-pre-done::";
/** Where the host's uv binary is mounted (read-only) in build containers. */
const UV_IN_CONTAINER = "/opt/ponyci-uv/uv";
/** Where the environment store is mounted in uv build containers (see environmentStore). */
const STORE_IN_CONTAINER = "/store";
/** Where an early-started uv install finds its command (startEnvironmentInstall): Pony CI's own directory, read-only. */
const CONTROL_IN_CONTAINER = "/ponyci-control";
const UV_ENV = "UV_NO_CONFIG=1 UV_OFFLINE=1 UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1";
/** HOME on the tmpfs: the installers' config never lands in the venv. */
const BUILD_ENV = ["HOME=/tmp", `PATH=${DEFAULT_PATH}`];

/**
 * The environment store, under the builder's cache directory:
 * - `unpacked/`: uv's cache of unpacked wheels, one tree per wheel (keyed by
 *   its hash), shared by every environment and every Python;
 * - `envs/<key>/venv`: one virtualenv per environment key, its files hard
 *   links into `unpacked/` (an environment costs its directories and links,
 *   not another copy of Django), with `env.json` beside it;
 * - `envs/.build-*`: environments being built (renamed into place when done).
 * One file system and one bind mount for all of it: hard links cannot cross mounts.
 */
export function environmentStore(cacheDir: string) {
  const root = join(cacheDir, "store");
  return { root, unpacked: join(root, "unpacked"), envs: join(root, "envs") };
}

/**
 * In the store's root once its files belong to ENV_BUILD_UID. A store
 * without it was made by an older Pony CI, which built as the test uid
 * (10001): uv, now running as ENV_BUILD_UID, cannot write that cache
 * ("Failed to initialize cache … Permission denied"), so ensureEnvironmentStore
 * hands every file over first, once, under a lock (`<cache>/store.lock`).
 */
export const STORE_MARK = ".ponyci-store";
const STORE_LAYOUT = `ponyci environment store, files owned by uid ${ENV_BUILD_UID}\n`;

/**
 * Create the store, owned by the build uid (Pony CI's own directories; the
 * cache above stays 0700 and root's), and take over a store an older Pony
 * CI left (see STORE_MARK): once, under a lock, so concurrent callers wait
 * for one takeover; a crash halfway is harmless (the mark is written last,
 * and the next start takes over again).
 */
export async function ensureEnvironmentStore(cacheDir: string): Promise<ReturnType<typeof environmentStore>> {
  const store = environmentStore(cacheDir);
  for (const dir of [store.root, store.unpacked, store.envs]) {
    await mkdir(dir, { recursive: true });
    await chown(dir, ENV_BUILD_UID, ENV_BUILD_UID);
  }
  const mark = join(store.root, STORE_MARK);
  const marked = async () => (await readFile(mark, "utf8").catch(() => undefined)) === STORE_LAYOUT;
  if (await marked()) return store;
  // One takeover at a time, across processes: every builder opens the store before it builds, so none builds meanwhile.
  const release = await acquireFileLock(join(cacheDir, "store.lock"));
  try {
    if (await marked()) return store;
    await handOverStore(store);
    await writeFileAtomic(mark, STORE_LAYOUT);
  } finally {
    await release();
  }
  return store;
}

/**
 * Every file of `unpacked/` and `envs/` to the build uid, never following a
 * link (find -P, chown -h), builds under way (`.build-*`) left out; then
 * each environment's own directory and env.json back to root. A file that
 * vanishes meanwhile (a crashed build's remains being reaped) is no error.
 */
async function handOverStore(store: ReturnType<typeof environmentStore>): Promise<void> {
  const owner = `${ENV_BUILD_UID}:${ENV_BUILD_UID}`;
  const { exitCode, stderr } = await execa("find", ["-P", store.unpacked, store.envs, "(", "-path", join(store.envs, `${BUILD_PREFIX}*`), "-prune", ")", "-o", "-exec", "chown", "-h", owner, "{}", "+"], {
    reject: false,
    extendEnv: false,
    env: { PATH: SYSTEM_PATH },
  });
  const complaints = String(stderr).split("\n").filter((line) => line.trim() && !line.includes("No such file or directory"));
  if (exitCode !== 0 && complaints.length > 0) throw new Error(`could not hand the environment store over to uid ${ENV_BUILD_UID}: ${complaints.slice(-2).join(" ")}`);
  for (const entry of await readdir(store.envs, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(BUILD_PREFIX)) continue;
    for (const path of [join(store.envs, entry.name), join(store.envs, entry.name, "env.json")]) {
      await lchown(path, 0, 0).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    }
  }
}

/** Environments being built, under the store's `envs/`: renamed into place when done, reaped by the garbage collector after a crash. */
export const BUILD_PREFIX = ".build-";

export interface BuildEnvironmentDirOptions {
  baseImage: string;
  key: string;
  python: string;
  django: string;
  /** Host directory holding exactly the wheels to install (mounted read-only at /wheels). */
  wheelsDir: string;
  files: string[];
  /** The store (environmentStore) and the build's directory name under its `envs/` (".build-…", the caller's own). */
  store: ReturnType<typeof environmentStore>;
  buildName: string;
  limits?: BuildContainerLimits;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  /**
   * Host path of a uv binary (mounted read-only): `uv venv --relocatable`
   * and an offline `uv pip install` that hard-links from the store's
   * unpacked wheels, with no Python of the venv ever started (see
   * installScript). Without it: `python3 -m venv` and an offline pip.
   */
  uv?: string;
}

/**
 * Build `<store>/envs/<buildName>/venv` in a no-network build container
 * from the base image, as ENV_BUILD_UID, from the given wheels, offline.
 * Resolves the installed packages as "name==version", sorted. No image is
 * committed: the test container mounts the directory read-only (a commit
 * copied every file once more and took 3–15 s here).
 */
export async function buildEnvironmentDir(docker: Docker, options: BuildEnvironmentDirOptions): Promise<string[]> {
  const prepared = await prepareBuildDir(options);
  await letBuildUserRead(options.wheelsDir, options.files);
  const quoted = quoteWheels(options.files);
  const venv = `${STORE_IN_CONTAINER}/envs/${options.buildName}/venv`;
  const frozen = options.uv
    ? await runInstallContainer(docker, options, uvScript(venv, uvInstallCommand(quoted, venv)), [`${options.wheelsDir}:/wheels:ro`, `${options.store.root}:${STORE_IN_CONTAINER}`, `${options.uv}:${UV_IN_CONTAINER}:ro`], options.signal)
    : await runInstallContainer(docker, options, pipScript(quoted), [`${options.wheelsDir}:/wheels:ro`, `${prepared.hostVenv}:${VENV_PATH}`], options.signal);
  // The environment's own directory (env.json goes there) is the host's again; the venv stays the build uid's, for its compile.
  await chown(prepared.buildDir, 0, 0);
  // uv: the packages are the wheels installed (no Python of the venv runs to list them).
  return options.uv ? packagesOfWheels(options.files) : installedPackages(frozen);
}

/** A uv install started before its wheels are known (startEnvironmentInstall). */
export interface EnvironmentInstall {
  /**
   * Install exactly `files` (names in the wheels directory given at the
   * start) and wait for the container: resolves the packages, as
   * buildEnvironmentDir. Call once.
   */
  finish(files: string[]): Promise<string[]>;
  /** The install will not happen (the build failed first, or pip takes over): the waiting container is killed and removed. Never throws. */
  cancel(): Promise<void>;
  /** How long the container took from its start to a made venv (ms), once it waits for its command; undefined before. */
  venvMs(): number | undefined;
  /**
   * Install `files` (in the wheels directory) without their dependencies
   * while the container still waits for finish(): Django, whose unpacking
   * is most of an environment's, while uv resolves the rest. Only before
   * finish() and only once; the container runs it if finish() has not come
   * first. Resolves once it ran, or once the container will not run it
   * (finish() came first, the container ended); its failure is no error
   * (the full install follows), so it never rejects.
   */
  preinstall(files: string[]): Promise<void>;
  /** The early install's outcome once the container ran it: "ok" or "failed", with how long it took (ms) and whether finish() had to wait for it. */
  preinstalled(): { outcome: "ok" | "failed"; ms: number; waited: boolean } | undefined;
}

/**
 * Start a uv environment install before resolve and download are done
 * (issue 28: the container's start and `uv venv`, which starts the image's
 * Python, leave the cold cell's critical path): the container creates the
 * venv, then waits until finish() writes the install command into
 * `<scratchDir>/ctl/go` (Pony CI's own file, mounted read-only; renamed
 * into place, so the script never reads half of it) and runs it; a
 * `ctl/pre` that comes first (preinstall: Django while uv resolves) runs
 * while it waits. The
 * container's deadline, limits and user are buildEnvironmentDir's.
 */
export async function startEnvironmentInstall(docker: Docker, options: Omit<BuildEnvironmentDirOptions, "files"> & { uv: string; scratchDir: string }): Promise<EnvironmentInstall> {
  const prepared = await prepareBuildDir(options);
  const control = join(options.scratchDir, "ctl");
  await mkdir(control, { recursive: true });
  await chmod(control, 0o755);
  await mkdir(options.wheelsDir, { recursive: true });
  const venv = `${STORE_IN_CONTAINER}/envs/${options.buildName}/venv`;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const binds = [`${options.wheelsDir}:/wheels:ro`, `${options.store.root}:${STORE_IN_CONTAINER}`, `${options.uv}:${UV_IN_CONTAINER}:ro`, `${control}:${CONTROL_IN_CONTAINER}:ro`];
  const startedAt = Date.now();
  let venvMs: number | undefined;
  let preStartedAt: number | undefined;
  let preinstalled: { outcome: "ok" | "failed"; ms: number; waited: boolean } | undefined;
  let finishAt: number | undefined;
  let preDone: () => void = () => undefined;
  const preRan = new Promise<void>((resolve) => (preDone = resolve));
  const onLine = (line: string) => {
    if (line === VENV_READY_MARK) venvMs = Date.now() - startedAt;
    else if (line === PRE_START_MARK) preStartedAt = Date.now();
    else if (line.startsWith(PRE_DONE_MARK)) {
      const end = Date.now();
      preinstalled = { outcome: line.endsWith(" ok") ? "ok" : "failed", ms: end - (preStartedAt ?? end), waited: finishAt !== undefined && finishAt < end };
      preDone();
    } else options.onLine?.(line);
  };
  const running = runInstallContainer(docker, { ...options, onLine }, uvScript(venv), binds, signal);
  running.catch(() => undefined).finally(preDone); // awaited by finish(); a cancel() before it is no error
  /** A command for the waiting container, renamed into place so the script never reads half of it. */
  const order = async (name: "pre" | "go", command: string) => {
    const part = join(control, `.${name}-${randomBytes(6).toString("hex")}`);
    await writeFile(part, `${command}\n`, { mode: 0o644 });
    await rename(part, join(control, name));
  };
  let preOrdered = false;
  return {
    async preinstall(files) {
      if (preOrdered || finishAt !== undefined || files.length === 0) return;
      preOrdered = true;
      try {
        await letBuildUserRead(options.wheelsDir, files);
        if (finishAt !== undefined) return;
        await order("pre", uvInstallCommand(quoteWheels(files), venv, { noDeps: true }));
      } catch {
        return; // only time lost: the install does it
      }
      // The container sees "go" first when finish() comes now: then it never runs this.
      await Promise.race([preRan, running.then(() => undefined, () => undefined)]);
    },
    preinstalled: () => preinstalled,
    async finish(files) {
      finishAt = Date.now();
      await letBuildUserRead(options.wheelsDir, files);
      await order("go", uvInstallCommand(quoteWheels(files), venv));
      await running;
      // The environment's own directory (env.json goes there) is the host's again; the venv stays the build uid's, for its compile.
      await chown(prepared.buildDir, 0, 0);
      // uv: the packages are the wheels installed (no Python of the venv runs to list them).
      return packagesOfWheels(files);
    },
    async cancel() {
      stop.abort();
      await running.catch(() => undefined);
    },
    venvMs: () => venvMs,
  };
}

/** The build's directory and its venv, owned by the build uid. */
async function prepareBuildDir(options: { store: ReturnType<typeof environmentStore>; buildName: string }): Promise<{ buildDir: string; hostVenv: string }> {
  const buildDir = join(options.store.envs, options.buildName);
  const hostVenv = join(buildDir, "venv");
  await mkdir(hostVenv, { recursive: true });
  await chown(buildDir, ENV_BUILD_UID, ENV_BUILD_UID);
  await chown(hostVenv, ENV_BUILD_UID, ENV_BUILD_UID);
  return { buildDir, hostVenv };
}

/** Run an install script as ENV_BUILD_UID, offline; resolves the lines after FREEZE_MARK. Throws EnvironmentError or CancelledError. */
async function runInstallContainer(docker: Docker, options: Omit<BuildEnvironmentDirOptions, "files">, script: string, binds: string[], signal?: AbortSignal): Promise<string[]> {
  const lines: string[] = [];
  let frozen: string[] | undefined;
  const { exitCode, timedOut } = await runBuildContainer(
    docker,
    {
      image: options.baseImage,
      script,
      env: BUILD_ENV,
      binds,
      labels: { [LABEL_ENV_KEY]: options.key, [LABEL_ENV_PYTHON]: options.python, [LABEL_ENV_DJANGO]: options.django },
      limits: options.limits,
      user: `${ENV_BUILD_UID}:${ENV_BUILD_UID}`,
    },
    {
      signal,
      onLine: (line) => {
        if (frozen) {
          if (line.trim()) frozen.push(line.trim());
        } else if (line === FREEZE_MARK) {
          frozen = [];
        } else {
          lines.push(line);
          options.onLine?.(line);
        }
      },
    },
  );
  if (timedOut) throw new EnvironmentError("project", `Installing the downloaded wheels into ${VENV_PATH} did not finish within ${options.limits?.timeoutSec ?? "the build deadline"} s.`);
  if (exitCode !== 0 || !frozen) {
    throw new EnvironmentError("infrastructure", `Installing the downloaded wheels into ${VENV_PATH} failed (exit ${exitCode}) in ${options.baseImage}:\n${lines.slice(-10).join("\n")}`);
  }
  return frozen;
}

/**
 * Byte-compile an environment built by uv, off the cell's critical path: a
 * build container at the lowest CPU weight (a test container always wins
 * the CPU), the venv mounted where test containers see it, `python3 -I -S
 * -m compileall` (isolated, no site: no .pth of the venv runs, nothing but
 * the standard library). pyc files are written next to the sources through
 * an atomic rename, so a test container reading the venv meanwhile sees
 * either none or a whole one. Sources that do not compile are skipped, as
 * pip and uv do. Throws EnvironmentError on a Docker failure.
 */
export async function compileEnvironment(docker: Docker, options: { baseImage: string; venvDir: string; key: string; limits?: BuildContainerLimits; signal?: AbortSignal }): Promise<void> {
  const { timedOut } = await runBuildContainer(
    docker,
    {
      image: options.baseImage,
      script: `python3 -I -S -m compileall -q -j 0 ${VENV_PATH}/lib > /dev/null 2>&1; exit 0`,
      env: BUILD_ENV,
      binds: [`${options.venvDir}:${VENV_PATH}`],
      labels: { [LABEL_ENV_KEY]: options.key },
      limits: options.limits,
      user: `${ENV_BUILD_UID}:${ENV_BUILD_UID}`,
      lowPriority: true,
    },
    { signal: options.signal },
  );
  if (timedOut) throw new EnvironmentError("infrastructure", `Byte-compiling the environment ${options.key.slice(0, 12)} did not finish within the build deadline.`);
}

/**
 * The wheels directory is Pony CI's own (a scratch directory or the shared
 * wheel cache, inside the 0700 cache): the install's uid must read it and
 * the wheels it installs through the read-only mount, so those become
 * 0755/0644 (only those: the shared cache holds every wheel ever fetched).
 * No host user gains anything: the directories above stay 0700. A file
 * already readable is not touched: a chmod changes its ctime, and uv
 * unpacks a wheel whose ctime changed again.
 */
async function letBuildUserRead(dir: string, files: string[]): Promise<void> {
  const ensureMode = async (path: string, mode: number) => {
    const st = await lstat(path); // a symbolic link is left alone, as it is
    if (st.isFile() || st.isDirectory()) if ((st.mode & 0o777) !== mode) await chmod(path, mode);
  };
  try {
    await ensureMode(dir, 0o755);
    for (const file of files) await ensureMode(join(dir, basename(file)), 0o644);
  } catch (error) {
    throw new EnvironmentError("infrastructure", `Could not share ${dir} with the environment build: ${describeError(error)}`, { cause: error });
  }
}

/** Wheel paths under /wheels, single-quoted for sh (a quote in a name is dropped: uv's lock names are checked, pip's come from pip). */
function quoteWheels(files: string[]): string {
  return files.map((f) => `'/wheels/${f.replace(/'/g, "")}'`).join(" ");
}

/** pip: `python3 -m venv` (with ensurepip) at VENV_PATH and an offline `pip install` (which byte-compiles), then `pip list`. */
function pipScript(quoted: string): string {
  return [
    "set -e",
    `python3 -m venv ${VENV_PATH}`,
    `${VENV_PATH}/bin/python -m pip install --disable-pip-version-check --progress-bar off --no-cache-dir --no-index --find-links /wheels ${quoted}`,
    `echo '${FREEZE_MARK}'`,
    `${VENV_PATH}/bin/python -m pip list --format=freeze --disable-pip-version-check`,
  ].join("\n");
}

/**
 * uv: `uv venv --relocatable` inside the store (so hard links from its
 * unpacked wheels work; relocatable, so it runs mounted at VENV_PATH), then
 * `install`, or (started early) wait for the control file finish() writes
 * and run that: an offline `uv pip install` that hard-links (uvInstallCommand). No byte-compiling here
 * (compileEnvironment does it in the background) and no `pip list`: uv
 * starts the venv's Python only before anything is installed, so no .pth of
 * a wheel ever runs in a container that can write the store.
 */
function uvScript(venv: string, install?: string): string {
  return [
    "set -e",
    `${UV_ENV} UV_NO_CACHE=1 ${UV_IN_CONTAINER} venv --quiet --relocatable --python "$(command -v python3)" ${venv}`,
    ...(install
      ? [install]
      : [
          `echo '${VENV_READY_MARK}'`,
          // An early install ("pre", at most once) runs while the container waits; "go" is the install.
          "pre=",
          `while [ ! -e ${CONTROL_IN_CONTAINER}/go ]; do`,
          `  if [ -z "$pre" ] && [ -e ${CONTROL_IN_CONTAINER}/pre ]; then pre=1; echo '${PRE_START_MARK}'; if ( . ${CONTROL_IN_CONTAINER}/pre ); then echo '${PRE_DONE_MARK} ok'; else echo '${PRE_DONE_MARK} failed'; fi; continue; fi`,
          "  sleep 0.05",
          "done",
          `. ${CONTROL_IN_CONTAINER}/go`,
        ]),
    `echo '${FREEZE_MARK}'`,
  ].join("\n");
}

/** The control file's one command: the offline install of exactly these wheels. */
function uvInstallCommand(quoted: string, venv: string, options: { noDeps?: boolean } = {}): string {
  return `${UV_ENV} UV_CACHE_DIR=${STORE_IN_CONTAINER}/unpacked UV_LINK_MODE=hardlink ${UV_IN_CONTAINER} pip install --quiet --python ${venv}/bin/python --no-index --no-build${options.noDeps ? " --no-deps" : ""} --find-links /wheels ${quoted}`;
}

/** "name==version" lines, like `pip freeze`: the installer's own packages left out. */
function installedPackages(lines: string[]): string[] {
  const tools = new Set(["pip", "setuptools", "wheel", "distribute", "pkg-resources"]);
  return lines.filter((l) => /^[A-Za-z0-9._-]+==\S+$/.test(l) && !tools.has(l.split("==")[0]!.toLowerCase())).sort();
}

/** "name==version" of each wheel file (one per project), sorted. */
function packagesOfWheels(files: string[]): string[] {
  const out = new Set<string>();
  for (const file of files) {
    const wheel = parseWheelFilename(file);
    if (wheel) out.add(`${wheel.project}==${wheel.version}`);
  }
  return [...out].sort();
}

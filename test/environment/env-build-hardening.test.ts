import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { LABEL_ENV_KEY } from "../../runner/src/docker/labels.js";
import { buildEnvironmentDir, compileEnvironment, ENV_BUILD_UID, ensureEnvironmentStore, startEnvironmentInstall, STORE_MARK } from "../../runner/src/environment/build-environment-dir.js";
import { createPipRunner } from "../../runner/src/environment/run-pip.js";
import { ensureUv } from "../../runner/src/environment/uv/ensure-uv.js";
import { makeDistribution } from "../support/package-index.js";
import { runInEnvironment } from "../support/run-in-environment.js";

/**
 * Issues 10 and 12: an environment is a directory of the store, built in a
 * container as a uid that owns only what it builds, and mounted read-only
 * into test containers (every project with the same requirements shares it,
 * and its files are hard links into the store's unpacked wheels).
 *
 * The hostile wheel carries a .pth file, which Python runs at every start of
 * the venv's interpreter; it tries to write the venv, the wheels and the
 * system.
 */
const docker = createDocker();
const LIMITS = { memoryBytes: 512 * 1024 ** 2, nanoCpus: 1e9, pidsLimit: 128, timeoutSec: 240, logLimitBytes: 256 * 1024 };
const BASE = "ponyci/python:3.11";
let root: string;
let wheelsDir: string;
let wheel: string;

const pth = [
  "import os; open('/opt/venv/pth-ran', 'w').close()",
  "import os; open('/wheels/pth-ran', 'w').close()",
  "import os; open('/etc/pwned', 'w').close()",
].join("\n");

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-env-hardening-"));
  wheelsDir = join(root, "wheels");
  await mkdir(wheelsDir);
  wheel = (await makeDistribution("wheel", wheelsDir, "evilpth", "1.0", { "evilpth.pth": `${pth}\n`, "evilpth/__init__.py": "VALUE = 1\n" })).filename;
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The build container's settings, read from Docker while it runs (polled until it is there). */
function watchBuildContainer(key: string) {
  let info: Docker.ContainerInspectInfo | undefined;
  let busy = false;
  const poll = setInterval(() => {
    if (info || busy) return;
    busy = true;
    docker
      .listContainers({ all: true, filters: { label: [`${LABEL_ENV_KEY}=${key}`] } })
      .then(async ([found]) => {
        if (found) info = await docker.getContainer(found.Id).inspect();
      })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 25);
  return {
    info: () => {
      clearInterval(poll);
      return info;
    },
  };
}

/** Polls `done` until it holds (at most two minutes: a loaded machine starts containers slowly). */
async function waitFor(done: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) if (await done()) return;
  throw new Error("timed out waiting");
}

function expectHardened(info: Docker.ContainerInspectInfo | undefined) {
  expect(info).toBeDefined();
  expect(info?.Config.User).toBe(`${ENV_BUILD_UID}:${ENV_BUILD_UID}`);
  expect(info?.HostConfig.CapDrop).toEqual(["ALL"]);
  expect(info?.HostConfig.CapAdd ?? []).toEqual([]);
  expect(info?.HostConfig.SecurityOpt).toEqual(["no-new-privileges"]);
  expect(info?.HostConfig.NetworkMode).toBe("none");
  expect(info?.HostConfig.Privileged).toBe(false);
  expect(info?.HostConfig.Memory).toBe(LIMITS.memoryBytes);
  expect(info?.HostConfig.PidsLimit).toBe(LIMITS.pidsLimit);
  expect(info?.HostConfig.Binds).toContain(`${wheelsDir}:/wheels:ro`);
}

describe("the environment store", () => {
  it("takes over a store an older Pony CI made as the test uid: every file the build uid's, each environment's own directory the host's", async () => {
    const cacheDir = join(root, "old-store");
    const oldEnv = join(cacheDir, "store", "envs", "a".repeat(64));
    const oldCache = join(cacheDir, "store", "unpacked", "sdists-v11");
    await mkdir(join(oldEnv, "venv", "lib"), { recursive: true });
    await mkdir(oldCache, { recursive: true });
    await writeFile(join(oldCache, ".git"), "", { mode: 0o644 });
    await writeFile(join(oldEnv, "venv", "lib", "x.py"), "", { mode: 0o644 });
    await writeFile(join(oldEnv, "env.json"), "{}", { mode: 0o644 });
    // A build under way is left alone, and a link is changed itself, never what it points at.
    const building = join(cacheDir, "store", "envs", ".build-abc", "venv");
    await mkdir(building, { recursive: true });
    const outside = join(root, "outside-the-store");
    await writeFile(outside, "root's");
    await symlink(outside, join(oldEnv, "venv", "lib", "link"));
    await execa("chown", ["-R", "-h", "10001:10001", join(cacheDir, "store")]);

    // Two builders open it at once: one takeover, both get the store.
    const [store] = await Promise.all([ensureEnvironmentStore(cacheDir), ensureEnvironmentStore(cacheDir)]);
    for (const path of [join(oldCache, ".git"), oldCache, join(oldEnv, "venv"), join(oldEnv, "venv", "lib", "x.py")]) expect((await stat(path)).uid).toBe(ENV_BUILD_UID);
    expect((await lstat(join(oldEnv, "venv", "lib", "link"))).uid).toBe(ENV_BUILD_UID);
    expect((await stat(outside)).uid).toBe(0);
    expect((await stat(building)).uid).toBe(10001);
    expect((await stat(oldEnv)).uid).toBe(0);
    expect((await stat(join(oldEnv, "env.json"))).uid).toBe(0);
    expect(existsSync(join(store.root, STORE_MARK))).toBe(true);

    // Marked: a file that is not the build uid's is left alone from now on (no walk of the store at every start).
    await execa("chown", ["10001:10001", join(oldCache, ".git")]);
    await ensureEnvironmentStore(cacheDir);
    expect((await stat(join(oldCache, ".git"))).uid).toBe(10001);
  });
});

describe("an environment build", () => {
  it("pip: the wheel's .pth runs as a non-root uid in a hardened container and can write only the venv", async () => {
    const store = await ensureEnvironmentStore(join(root, "pip-cache"));
    const key = `hardening-pip-${randomUUID()}`;
    const watch = watchBuildContainer(key);
    const installed = await buildEnvironmentDir(docker, {
      baseImage: BASE, key, python: "3.11", django: "0", wheelsDir, files: [wheel], store, buildName: ".build-pip", limits: LIMITS,
    });
    expect(installed).toEqual(["evilpth==1.0"]);
    const venv = join(store.envs, ".build-pip", "venv");
    // The .pth ran (at `pip list`) and wrote into the venv, the one place it may; the wheels stayed read-only.
    expect(existsSync(join(venv, "pth-ran"))).toBe(true);
    expect(existsSync(join(wheelsDir, "pth-ran"))).toBe(false);
    expect((await stat(venv)).uid).toBe(ENV_BUILD_UID);
    expectHardened(watch.info());
  }, 300_000);

  describe("uv", () => {
    let store: Awaited<ReturnType<typeof ensureEnvironmentStore>>;
    let uv: string;
    const key = `hardening-uv-${randomUUID()}`;
    let venv: string;

    beforeAll(async () => {
      uv = await ensureUv({ toolsDir: join(tmpdir(), "ponyci-test-tools"), runPip: createPipRunner() });
      store = await ensureEnvironmentStore(join(root, "uv-cache"));
      venv = join(store.envs, ".build-uv", "venv");
    }, 180_000);

    it("installs without ever starting the venv's Python: the .pth does not run, in the build or the background compile", async () => {
      const watch = watchBuildContainer(key);
      const installed = await buildEnvironmentDir(docker, { baseImage: BASE, key, python: "3.11", django: "0", wheelsDir, files: [wheel], store, buildName: ".build-uv", limits: LIMITS, uv });
      expect(installed).toEqual(["evilpth==1.0"]);
      expect(existsSync(join(venv, "lib", "python3.11", "site-packages", "evilpth.pth"))).toBe(true);
      expect(existsSync(join(venv, "pth-ran"))).toBe(false);
      expectHardened(watch.info());

      await compileEnvironment(docker, { baseImage: BASE, venvDir: venv, key, limits: LIMITS });
      expect(existsSync(join(venv, "pth-ran"))).toBe(false);
      const pycache = await readdir(join(venv, "lib", "python3.11", "site-packages", "evilpth", "__pycache__"));
      expect(pycache.some((name) => name.startsWith("__init__.cpython-311"))).toBe(true);
      // The unpacked wheel in the store and the venv's file are one file (a hard link), not two copies.
      expect((await stat(join(venv, "lib", "python3.11", "site-packages", "evilpth", "__init__.py"))).nlink).toBeGreaterThan(1);
    }, 300_000);

    it("an install started before its wheels are known (issue 28) is as hardened, waits for Pony CI's command in a read-only directory, and installs the same", async () => {
      const earlyKey = `${key}-early`;
      const scratchDir = await mkdtemp(join(root, "early-"));
      const watch = watchBuildContainer(earlyKey);
      const early = await startEnvironmentInstall(docker, { baseImage: BASE, key: earlyKey, python: "3.11", django: "0", wheelsDir, store, buildName: ".build-uv-early", limits: LIMITS, uv, scratchDir });
      // It runs (the venv is being made) and waits: nothing is installed before finish().
      await waitFor(() => early.venvMs() !== undefined);
      expect(existsSync(join(store.envs, ".build-uv-early", "venv", "pyvenv.cfg"))).toBe(true);
      const info = watch.info();
      expectHardened(info);
      expect(info?.HostConfig.Binds).toContain(`${join(scratchDir, "ctl")}:/ponyci-control:ro`);
      expect(existsSync(join(store.envs, ".build-uv-early", "venv", "lib", "python3.11", "site-packages", "evilpth.pth"))).toBe(false);
      expect(await early.finish([wheel])).toEqual(["evilpth==1.0"]);
      expect(existsSync(join(store.envs, ".build-uv-early", "venv", "lib", "python3.11", "site-packages", "evilpth.pth"))).toBe(true);
      expect(existsSync(join(store.envs, ".build-uv-early", "venv", "pth-ran"))).toBe(false);
      expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL_ENV_KEY}=${earlyKey}`] } })).toEqual([]);
    }, 300_000);

    it("Django first (issue 28): while it waits, one wheel is unpacked without its dependencies; the install keeps it; a broken early install only costs time", async () => {
      const firstWheel = (await makeDistribution("wheel", wheelsDir, "firstpkg", "2.0", { "firstpkg/__init__.py": "FIRST = 1\n" })).filename;
      const site = (build: string) => join(store.envs, build, "venv", "lib", "python3.11", "site-packages");
      const scratchDir = await mkdtemp(join(root, "early-"));
      const early = await startEnvironmentInstall(docker, { baseImage: BASE, key: `${key}-first`, python: "3.11", django: "0", wheelsDir, store, buildName: ".build-uv-first", limits: LIMITS, uv, scratchDir });
      await early.preinstall([firstWheel]);
      expect(early.preinstalled()).toMatchObject({ outcome: "ok", waited: false });
      expect(existsSync(join(site(".build-uv-first"), "firstpkg", "__init__.py"))).toBe(true);
      expect(existsSync(join(site(".build-uv-first"), "evilpth.pth"))).toBe(false);
      const inode = (await stat(join(site(".build-uv-first"), "firstpkg", "__init__.py"))).ino;
      // Once only: a second early install is not run.
      await early.preinstall([wheel]);
      expect(existsSync(join(site(".build-uv-first"), "evilpth.pth"))).toBe(false);
      expect(await early.finish([firstWheel, wheel])).toEqual(["evilpth==1.0", "firstpkg==2.0"]);
      expect((await stat(join(site(".build-uv-first"), "firstpkg", "__init__.py"))).ino).toBe(inode);
      expect(existsSync(join(site(".build-uv-first"), "evilpth.pth"))).toBe(true);
      expect(existsSync(join(store.envs, ".build-uv-first", "venv", "pth-ran"))).toBe(false);

      // A file that is not a wheel: the early install fails, the install does the work.
      await writeFile(join(wheelsDir, "broken-1.0-py3-none-any.whl"), "not a zip");
      const broken = await startEnvironmentInstall(docker, { baseImage: BASE, key: `${key}-broken`, python: "3.11", django: "0", wheelsDir, store, buildName: ".build-uv-broken", limits: LIMITS, uv, scratchDir: await mkdtemp(join(root, "early-")) });
      await broken.preinstall(["broken-1.0-py3-none-any.whl"]);
      expect(broken.preinstalled()).toMatchObject({ outcome: "failed" });
      expect(await broken.finish([firstWheel])).toEqual(["firstpkg==2.0"]);

      // finish() first: the early install is never run (and does not wait for the container's end to say so).
      const late = await startEnvironmentInstall(docker, { baseImage: BASE, key: `${key}-late`, python: "3.11", django: "0", wheelsDir, store, buildName: ".build-uv-late", limits: LIMITS, uv, scratchDir: await mkdtemp(join(root, "early-")) });
      expect(await late.finish([firstWheel])).toEqual(["firstpkg==2.0"]);
      await late.preinstall([wheel]);
      expect(late.preinstalled()).toBeUndefined();
      expect(existsSync(join(site(".build-uv-late"), "evilpth.pth"))).toBe(false);
    }, 300_000);

    it("an early install that is not needed (the build failed, or pip took over) is killed and removed at once, not left waiting for its deadline", async () => {
      const earlyKey = `${key}-cancelled`;
      const scratchDir = await mkdtemp(join(root, "early-"));
      const early = await startEnvironmentInstall(docker, { baseImage: BASE, key: earlyKey, python: "3.11", django: "0", wheelsDir, store, buildName: ".build-uv-cancelled", limits: LIMITS, uv, scratchDir });
      const listed = () => docker.listContainers({ all: true, filters: { label: [`${LABEL_ENV_KEY}=${earlyKey}`] } });
      // Its venv is made: it now waits for a command that will not come.
      await waitFor(() => early.venvMs() !== undefined);
      expect(await listed()).toHaveLength(1);
      await early.cancel();
      expect(await listed()).toEqual([]);
      await early.cancel(); // twice is harmless
    }, 300_000);

    it("a test container gets the venv read-only: the .pth runs there but can change nothing another project shares, even as the files' owner", async () => {
      const env = { image: BASE, venvDir: venv, containerEnv: { PATH: "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", VIRTUAL_ENV: "/opt/venv" } };
      // The test user (10001) does not own the store's files; the build uid does, and the mount refuses it too.
      expect(ENV_BUILD_UID).not.toBe(10001);
      expect((await stat(join(venv, "lib", "python3.11", "site-packages", "evilpth", "__init__.py"))).uid).toBe(ENV_BUILD_UID);
      const run = await runInEnvironment(
        docker,
        env,
        [
          // Every complaint (the .pth's, and the shell's about the refused redirect) goes to files: stderr and stdout
          // reach us as two streams, and a line of one can land inside the other's (CI once read "imported" + sh's error + " 1").
          "exec 2>/tmp/shell-err",
          "python -c 'import evilpth; print(\"imported\", evilpth.VALUE)' 2>/tmp/err; grep -q 'Read-only file system' /tmp/err && echo pth-refused",
          "echo 'VALUE = 2' > /opt/venv/lib/python3.11/site-packages/evilpth/__init__.py && echo modified || echo read-only",
          "python -c 'import evilpth; print(\"still\", evilpth.VALUE)' 2>/dev/null",
        ].join("; "),
        `${ENV_BUILD_UID}:${ENV_BUILD_UID}`,
      );
      expect(run.lines).toContain("imported 1");
      expect(run.lines).toContain("pth-refused");
      expect(run.lines).toContain("read-only");
      expect(run.lines).toContain("still 1");
      expect(existsSync(join(venv, "pth-ran"))).toBe(false);
    }, 120_000);
  });
});

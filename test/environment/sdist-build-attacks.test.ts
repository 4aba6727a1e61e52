import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { downloadWheels } from "../../runner/src/environment/download-wheels.js";
import { EnvironmentError } from "../../src/domain/environment-error.js";
import { defaultHostPython, type HostPython } from "../../src/domain/host-python.js";
import { pipTargetArgs } from "../../runner/src/environment/pip-target-args.js";
import { createPipRunner } from "../../runner/src/environment/run-pip.js";
import type { BuildContainerLimits } from "../../runner/src/environment/run-build-container.js";
import { makeDistribution, markerSdistFiles, startPackageIndex, type PackageIndex } from "../support/package-index.js";

// Real Docker: source distributions whose build fights back, served by a
// package index on 127.0.0.1. Their backend also tries to leave a marker at
// a host path: it must stay in the container.
const docker = createDocker();
let root: string;
let index: PackageIndex;
let host: HostPython;
/** Builds that should finish get room on a loaded machine; the ones that never finish meet a short deadline. */
const limits: BuildContainerLimits = { memoryBytes: 512 * 1024 ** 2, nanoCpus: 1e9, pidsLimit: 64, timeoutSec: 240, logLimitBytes: 256 * 1024 };
const shortDeadline: BuildContainerLimits = { ...limits, timeoutSec: 20 };
const marker = (name: string) => join(root, `${name}.ran-on-host`);

const attacks: Record<string, string> = {
  // A wheel named like another project's, and a newer one of itself, left in the output directory.
  evilwheel: "_wheel('/out', 'pytest', '99.0')\n_wheel('/out', NAME, '2.0')",
  evilfork: "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
  evilloop: "while True:\n    pass",
  // Straight to the container's stdout, past pip's capture.
  evilflood: "with open('/proc/1/fd/1', 'w') as out:\n    for _ in range(20000):\n        out.write('x' * 1000 + '\\n')",
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-sdist-attack-"));
  const dists = join(root, "dists");
  await mkdir(dists);
  const files = [await makeDistribution("wheel", dists, "django", "9.9"), await makeDistribution("wheel", dists, "wheel", "0.99")];
  for (const [name, code] of Object.entries(attacks)) files.push(await makeDistribution("sdist", dists, name, "1.0", markerSdistFiles(marker(name), name, "1.0", code)));
  index = await startPackageIndex(files);
  host = defaultHostPython({ indexUrl: index.url, certFile: undefined });
});

afterAll(async () => {
  await index?.close();
  await rm(root, { recursive: true, force: true });
});

async function build(name: string, repo: string, buildLimits = limits) {
  const dir = join(root, repo);
  await mkdir(dir, { recursive: true });
  const lines: string[] = [];
  const caches = { wheelsDir: join(root, "shared-wheels"), builtWheelsDir: join(dir, "built") };
  const result = downloadWheels({
    runPip: createPipRunner({ host }),
    docker,
    image: "ponyci/python:3.11",
    python: "3.11",
    targetArgs: pipTargetArgs({ python: "3.11", libc: "glibc", libcVersion: "2.36", machine: "x86_64" }),
    django: "9.9",
    requirements: [name],
    dest: join(dir, `dest-${name}`),
    scratchDir: dir,
    host,
    buildLimits,
    onLine: (line) => lines.push(line),
    ...caches,
  });
  return { result, lines, ...caches };
}

describe("source distributions are built in a hardened container", () => {
  it("keeps only the wheel of the requested name and version, in the repository's own cache", async () => {
    const a = await build("evilwheel", "repo-a");
    const files = await a.result;
    expect(files).toEqual(["django-9.9-py3-none-any.whl", "evilwheel-1.0-py3-none-any.whl"]);
    expect(await readdir(a.builtWheelsDir)).toEqual(["evilwheel-1.0-py3-none-any.whl"]);
    const shared = await readdir(a.wheelsDir);
    expect(shared).toContain("django-9.9-py3-none-any.whl");
    expect(shared.filter((f) => /pytest|evilwheel/.test(f))).toEqual([]);
    expect(a.lines).toContainEqual(expect.stringMatching(/ignored "pytest-99\.0-py3-none-any\.whl": not a wheel of evilwheel-1\.0\.tar\.gz/));
    expect(a.lines).toContainEqual(expect.stringMatching(/ignored "evilwheel-2\.0-py3-none-any\.whl"/));
    expect(existsSync(marker("evilwheel"))).toBe(false);
    // Another repository sees none of it.
    const b = join(root, "repo-b", "built");
    expect(existsSync(b) ? await readdir(b) : []).toEqual([]);
  }, 300_000);

  it.each([
    ["fork-bombs", "evilfork"],
    ["loops for ever", "evilloop"],
  ])("an sdist whose build %s is killed at the deadline: a project error", async (_what, name) => {
    const attempt = await build(name, `repo-${name}`, shortDeadline);
    await expect(attempt.result).rejects.toThrow(EnvironmentError);
    await expect(attempt.result).rejects.toThrow(new RegExp(`Building ${name}-1\\.0\\.tar\\.gz did not finish within ${shortDeadline.timeoutSec} s`));
    expect(await readdir(attempt.builtWheelsDir)).toEqual([]);
    expect(existsSync(marker(name))).toBe(false);
    const left = await docker.listContainers({ all: true, filters: { label: ["org.ponyci.env-build=1"] } });
    expect(left.filter((c) => c.Mounts.some((m) => m.Source.startsWith(root)))).toEqual([]);
  }, 180_000);

  it("an sdist whose build floods its output is cut at the output budget", async () => {
    const attempt = await build("evilflood", "repo-flood");
    await attempt.result;
    const bytes = attempt.lines.reduce((sum, line) => sum + line.length + 1, 0);
    expect(bytes).toBeLessThan(limits.logLimitBytes + 64 * 1024);
    expect(attempt.lines).toContainEqual(expect.stringMatching(/lines of build output were dropped/));
  }, 300_000);
});

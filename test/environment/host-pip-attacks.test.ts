import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createEnvironmentBuilder } from "../../runner/src/environment/create-environment-builder.js";
import { downloadWheels } from "../../runner/src/environment/download-wheels.js";
import { defaultHostPython, type HostPython } from "../../src/domain/host-python.js";
import { pipTargetArgs } from "../../runner/src/environment/pip-target-args.js";
import { planRequirements } from "../support/plan-requirements.js";
import { RequirementsError } from "../../src/domain/requirements-error.js";
import { normalizeRequirement, RequirementSyntaxError } from "../../src/domain/parse-requirement.js";
import { createPipRunner, type PipRunner } from "../../runner/src/environment/run-pip.js";
import { DEFAULT_BUILD_LIMITS } from "../../runner/src/environment/run-build-container.js";
import { makeDistribution, markerSdistFiles, markerSetupPy, startPackageIndex, type PackageIndex } from "../support/package-index.js";

// A package index on 127.0.0.1 whose packages run code when built: if any of
// it runs on the host, a marker file appears. Host pip talks to this index only.
let root: string;
let index: PackageIndex;
let host: HostPython;
const marker = (name: string) => join(root, `${name}.ran-on-host`);
const targetArgs = pipTargetArgs({ python: "3.11", libc: "glibc", libcVersion: "2.36", machine: "x86_64" });

function countingPip(): { runPip: PipRunner; calls: string[][] } {
  const real = createPipRunner({ host });
  const calls: string[][] = [];
  return { calls, runPip: (args, options) => (calls.push(args), real(args, options)) };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-pip-attack-"));
  const dists = join(root, "dists");
  await mkdir(dists);
  index = await startPackageIndex([
    await makeDistribution("wheel", dists, "django", "9.9"),
    // evil's build requires try to switch the binary-only rule off for evil2, whose setup.py leaves a marker.
    await makeDistribution("sdist", dists, "evil", "1.0", {
      "setup.py": markerSetupPy(marker("evil"), "evil", "1.0"),
      "pyproject.toml": '[build-system]\nrequires = ["--no-binary=evil2", "evil2"]\n',
    }),
    await makeDistribution("sdist", dists, "evil2", "1.0", markerSdistFiles(marker("evil2"), "evil2", "1.0")),
  ]);
  host = defaultHostPython({ indexUrl: index.url, certFile: undefined });
});

afterAll(async () => {
  await index?.close();
  await rm(root, { recursive: true, force: true });
});

describe("host pip takes nothing but requirements from a repository", () => {
  it.each([
    ["\\x1c", "\x1c"],
    ["\\x1d", "\x1d"],
    ["\\x1e", "\x1e"],
    ["\\x85", "\x85"],
    ["\\u2028", "\u2028"],
  ])("a constraints line hiding options behind %s is a config error at planning, and the builder refuses it too: pip never runs", async (_shown, separator) => {
    const hidden = `evil2>=0${separator}--no-binary=evil2${separator}--index-url=${index.url}`;
    // The planner reads the checkout's files: it refuses the line, naming file and line.
    expect(() => planRequirements({ "requirements-test.txt": "-c constraints.txt\nevil2\n", "constraints.txt": `${hidden}\n` })).toThrow(RequirementsError);
    expect(() => planRequirements({ "requirements-test.txt": "-c constraints.txt\nevil2\n", "constraints.txt": `${hidden}\n` })).toThrow(/^constraints\.txt, line 1: character U\+/);
    // A job spec carrying it anyway (forged, or from another host) is refused by the builder before pip.
    const pip = countingPip();
    const builder = createEnvironmentBuilder({ docker: createDocker(), cacheDir: join(root, "cache"), host, runPip: pip.runPip });
    const attempt = builder.ensure({ python: "3.11", django: "9.9", requirements: ["evil2"], constraints: [hidden] });
    await expect(attempt).rejects.toThrow(RequirementsError);
    await expect(attempt).rejects.toThrow(/^job spec constraints, line 1: character U\+/);
    expect(pip.calls).toEqual([]);
    expect(existsSync(marker("evil2"))).toBe(false);
  });

  it("a job spec's include or pip option is refused by the builder: the runner reads no requirement file", async () => {
    const pip = countingPip();
    const builder = createEnvironmentBuilder({ docker: createDocker(), cacheDir: join(root, "cache"), host, runPip: pip.runPip });
    await expect(builder.ensure({ python: "3.11", django: "9.9", requirements: ["-r requirements.txt"] })).rejects.toThrow(/^job spec requirements, line 1: an include is expanded by the planner/);
    await expect(builder.ensure({ python: "3.11", django: "9.9", requirements: ["pytest", `--index-url=${index.url}`] })).rejects.toThrow(/^job spec requirements, line 2: /);
    expect(pip.calls).toEqual([]);
  });

  it("an sdist whose build requires start with '-' is a config error naming it: no marker, nothing in the wheel cache", async () => {
    const dir = await mkdtemp(join(root, "dl-"));
    const wheelsDir = join(dir, "wheels");
    const builtWheelsDir = join(dir, "built");
    const pip = countingPip();
    const attempt = downloadWheels({
      runPip: pip.runPip,
      docker: createDocker(),
      image: "ponyci/python:3.11",
      python: "3.11",
      targetArgs,
      django: "9.9",
      requirements: ["evil"],
      dest: join(dir, "dest"),
      wheelsDir,
      builtWheelsDir,
      scratchDir: dir,
      host,
      buildLimits: DEFAULT_BUILD_LIMITS,
    });
    await expect(attempt).rejects.toThrow(RequirementsError);
    await expect(attempt).rejects.toThrow(/^evil-1\.0\.tar\.gz: pyproject\.toml, line 2: build-system\.requires: pip options \("--no-binary=evil2"\)/);
    // pip ran once (the first resolution, which found no wheel of evil) and never with the sdist's words.
    expect(pip.calls).toHaveLength(1);
    expect(pip.calls.flat()).not.toContain("--no-binary=evil2");
    expect(existsSync(marker("evil"))).toBe(false);
    expect(existsSync(marker("evil2"))).toBe(false);
    expect(await readdir(wheelsDir)).toEqual([]);
    expect(await readdir(builtWheelsDir)).toEqual([]);
    // The sdist came from the PEP 691 JSON page.
    expect(index.requests).toContain("/files/evil-1.0.tar.gz");
  });

  it("a requirement after -- is never an option, and host pip is binary-only whatever it is asked", async () => {
    const dest = await mkdtemp(join(root, "dash-"));
    const pip = createPipRunner({ host });
    const optionLike = await pip(["download", "--dest", dest, ...targetArgs, "--", "--no-binary=evil2", "evil2"]);
    expect(optionLike.exitCode).not.toBe(0);
    expect(optionLike.lines.join("\n")).toMatch(/Invalid requirement: '--no-binary=evil2'/);
    const sdistOnly = await pip(["download", "--dest", dest, "--no-deps", "--", "evil2"]);
    expect(sdistOnly.exitCode).not.toBe(0);
    expect(sdistOnly.lines.join("\n")).toMatch(/No matching distribution found for evil2/);
    expect(existsSync(marker("evil2"))).toBe(false);
    expect(await readdir(dest)).toEqual([]);
  });

  // Issue 23: pip expands ${VAR} in the constraints file it reads; a marker comparing a version with the expansion
  // made pip fail with the host's HTTPS_PROXY (and its password) in the message, into the cell's public log.
  it.each([
    'django; python_version ~= "${HTTPS_PROXY}"',
    'django; python_version ~= "x${HTTPS_PROXY}y"',
    'django; os_name == "{HTTPS_PROXY}"',
    'django; "$HTTPS_PROXY" == os_name',
  ])("no host variable reaches pip's output through the constraint %s", async (line) => {
    const secret = "http://proxy-user:hunter2-proxy-secret@127.0.0.1:9";
    const output: string[] = [];
    let refused = false;
    try {
      // What planning and the environment builder let through is what the constraints file would hold.
      const normalised = normalizeRequirement(line);
      const dir = await mkdtemp(join(root, "expand-"));
      await writeFile(join(dir, "constraints.txt"), `${normalised}\n`);
      const pip = createPipRunner({ host: { ...host, proxy: { HTTPS_PROXY: secret, https_proxy: secret } } });
      const result = await pip(["download", "--dest", join(dir, "dest"), ...targetArgs, "-c", join(dir, "constraints.txt"), "--", "django"], { onLine: (l) => output.push(l) });
      output.push(...result.lines);
    } catch (error) {
      expect(error).toBeInstanceOf(RequirementSyntaxError);
      expect((error as Error).message).toMatch(/not accepted|would expand/);
      refused = true;
    }
    expect(output.join("\n")).not.toContain("hunter2");
    expect(refused).toBe(true);
  });

  it("a wheel that does not match the index's sha256 is refused by host pip", async () => {
    const dists = await mkdtemp(join(root, "tampered-"));
    const wheel = await makeDistribution("wheel", dists, "tampered", "1.0");
    index.add({ ...wheel, sha256: "0".repeat(64) });
    const dest = await mkdtemp(join(root, "dest-"));
    const result = await createPipRunner({ host })(["download", "--dest", dest, ...targetArgs, "--", "tampered"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.lines.join("\n")).toMatch(/THESE PACKAGES DO NOT MATCH THE HASHES|hash/i);
    expect(await readdir(dest)).toEqual([]);
  });
});

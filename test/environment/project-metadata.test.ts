import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { EnvironmentError } from "../../src/domain/environment-error.js";
import { defaultHostPython } from "../../src/domain/host-python.js";
import { pipTargetArgs } from "../../runner/src/environment/pip-target-args.js";
import { prepareProjectMetadata } from "../../runner/src/environment/project-metadata/prepare-project-metadata.js";
import { requirementsForExtras } from "../../runner/src/environment/project-metadata/parse-core-metadata.js";
import { createPipRunner, type PipRunner } from "../../runner/src/environment/run-pip.js";
import type { BuildContainerLimits } from "../../runner/src/environment/run-build-container.js";
import { makeDistribution, startPackageIndex, type PackageIndex } from "../support/package-index.js";

// Real Docker, a package index on 127.0.0.1. Each project's build backend is
// in the project itself (PEP 517 backend-path), so no setuptools is needed:
// the backend computes its metadata at build time, as a setup.py does.
const docker = createDocker();
const limits: BuildContainerLimits = { memoryBytes: 512 * 1024 ** 2, nanoCpus: 1e9, pidsLimit: 64, timeoutSec: 120, logLimitBytes: 256 * 1024 };
let root: string;
let index: PackageIndex;
let runPip: PipRunner;

const PYPROJECT = '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n';

/** A project whose in-tree backend runs `code` (Python) inside prepare_metadata_for_build_wheel(directory, …). */
async function project(name: string, code: string): Promise<string> {
  const dir = join(root, "projects", name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "pyproject.toml"), PYPROJECT);
  await writeFile(join(dir, "backend.py"), `import os\ndef prepare_metadata_for_build_wheel(directory, config_settings=None):\n${code.split("\n").map((l) => `    ${l}`).join("\n")}\n`);
  // The checkout is the runner's: readable by the build's uid, like a workspace.
  await chmod(join(root, "projects"), 0o755);
  await chmod(dir, 0o755);
  return dir;
}

const WRITE_METADATA = (lines: string[]) =>
  [
    `d = os.path.join(directory, "demo-1.0.dist-info")`,
    `os.makedirs(d)`,
    `open(os.path.join(d, "METADATA"), "w").write(${JSON.stringify(lines.join("\n") + "\n")})`,
    `return "demo-1.0.dist-info"`,
  ].join("\n");

function prepare(dir: string, sourceKey: string, pip: PipRunner = runPip, onLine?: (line: string) => void) {
  return prepareProjectMetadata({
    docker, image: "ponyci/python:3.11", python: "3.11", sourceDir: dir, sourceKey, scope: "repo", cacheDir: join(root, "cache"),
    wheelsDir: join(root, "cache", "index-wheels"), scratchDir: join(root, "cache", "tmp"), runPip: pip,
    targetArgs: pipTargetArgs({ python: "3.11", libc: "glibc", libcVersion: "2.36", machine: "x86_64" }), limits,
    requires: [], backend: "backend", backendPath: ["."], onLine,
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-metadata-"));
  await mkdir(join(root, "dists"));
  index = await startPackageIndex([await makeDistribution("wheel", join(root, "dists"), "wheel", "0.99")]);
  runPip = createPipRunner({ host: defaultHostPython({ indexUrl: index.url, certFile: undefined }) });
});

afterAll(async () => {
  await index?.close();
  await rm(root, { recursive: true, force: true });
});

describe("project metadata from the build backend", () => {
  it("reads dependencies and extras a backend computes, refuses what is not a plain requirement, and caches by source", async () => {
    const dir = await project("dynamic", WRITE_METADATA([
      "Metadata-Version: 2.1",
      "Name: Demo",
      "Version: 1.0",
      "Requires-Dist: six>=1.0",
      "Provides-Extra: testing",
      'Requires-Dist: coverage>=7; extra == "testing"',
      'Requires-Dist: tomli; python_version < "3.11" and extra == "testing"',
      'Requires-Dist: sphinx; extra == "docs"',
      'Requires-Dist: evil @ https://example.invalid/evil.whl; extra == "testing"',
    ]));
    const lines: string[] = [];
    const metadata = await prepare(dir, "commit-1", runPip, (line) => lines.push(line));
    expect(metadata.name).toBe("demo");
    expect(requirementsForExtras(metadata, ["testing"])).toEqual({ requirements: ["six>=1.0", "coverage>=7", 'tomli; python_version < "3.11"'], missing: [] });
    expect(metadata.refused).toEqual([expect.stringMatching(/^"evil @ https:.*is not a PEP 508 requirement/)]);
    expect(lines).toContain("ponyci: reading the project's metadata from its build backend (backend)");
    // The same source again: no pip, no container.
    const noPip: PipRunner = async () => {
      throw new Error("a cached source must not reach pip");
    };
    await expect(prepare(dir, "commit-1", noPip)).resolves.toEqual(metadata);
    await expect(prepare(dir, "commit-2", noPip)).rejects.toThrow("a cached source must not reach pip");
  }, 240_000);

  it("never follows a METADATA the backend made a symbolic link to a host file, and leaves the source untouched", async () => {
    // Planted where the host reads, then the hook runner is cut short: the link would point at the host's own file.
    const dir = await project("symlink", [`open("egg-info-like", "w").write("x")`, `os.symlink("/etc/shadow", "/out/METADATA")`, `os._exit(0)`].join("\n"));
    const error = await prepare(dir, "commit-link").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toMatch(/symbolic link/);
    expect(existsSync(join(dir, "egg-info-like"))).toBe(false);
  }, 240_000);

  it("names a failing backend and shows its last lines", async () => {
    const dir = await project("failing", `raise RuntimeError("setup.py says no: libfoo missing")`);
    const error = await prepare(dir, "commit-fail").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).kind).toBe("project");
    expect((error as EnvironmentError).message).toMatch(/could not prepare its metadata[\s\S]*setup.py says no: libfoo missing/);
  }, 240_000);
});

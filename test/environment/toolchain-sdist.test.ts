import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
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
import { createToolchainImages, toolchainDockerfile } from "../../runner/src/environment/toolchain/create-toolchain-images.js";
import { makeDistribution, startPackageIndex, type PackageIndex } from "../support/package-index.js";

// Real Docker, apt from Debian at image build (a trusted step), a package index on 127.0.0.1.
// The toolchain here is the smallest that compiles a C extension (gcc, libc headers, Python.h):
// the product's list adds the database, image, XML and GIS headers, which only cost download time.
const docker = createDocker();
const toolchain = createToolchainImages({ docker, devPackages: ["gcc", "libc6-dev"] });
const limits: BuildContainerLimits = { memoryBytes: 1024 ** 3, nanoCpus: 1e9, pidsLimit: 128, timeoutSec: 240, logLimitBytes: 1024 * 1024 };
let root: string;
let index: PackageIndex;
let host: HostPython;

/** An sdist whose in-tree backend compiles a C extension with gcc (no setuptools needed), as mysqlclient's setup.py would. */
function cextSdist(name: string, csource: string): Record<string, string> {
  return {
    "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
    "ext.c": csource,
    "backend.py": [
      "import os, subprocess, sysconfig, zipfile",
      `NAME, VERSION = ${JSON.stringify(name)}, "1.0"`,
      "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):",
      "    suffix = sysconfig.get_config_var('EXT_SUFFIX')",
      "    out = '/tmp/' + NAME + suffix",
      "    subprocess.run(['gcc', '-shared', '-fPIC', '-I' + sysconfig.get_paths()['include'], 'ext.c', '-o', out], check=True)",
      "    tag = 'cp%d%d' % __import__('sys').version_info[:2]",
      "    filename = f'{NAME}-{VERSION}-{tag}-{tag}-linux_x86_64.whl'",
      "    info = f'{NAME}-{VERSION}.dist-info'",
      "    with zipfile.ZipFile(os.path.join(wheel_directory, filename), 'w') as z:",
      "        z.write(out, NAME + suffix)",
      "        z.writestr(f'{info}/METADATA', f'Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n')",
      "        z.writestr(f'{info}/WHEEL', f'Wheel-Version: 1.0\\nGenerator: x\\nRoot-Is-Purelib: false\\nTag: {tag}-{tag}-linux_x86_64\\n')",
      "        z.writestr(f'{info}/RECORD', '')",
      "    return filename",
      "def build_sdist(sdist_directory, config_settings=None):",
      "    raise NotImplementedError",
      "",
    ].join("\n"),
  };
}
const GOOD_C = '#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "cext", NULL, -1, NULL};\nPyMODINIT_FUNC PyInit_cext(void) { return PyModule_Create(&m); }\n';
const BAD_C = '#include <Python.h>\nint broken( { return 0; }\n';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-toolchain-"));
  const dists = join(root, "dists");
  await mkdir(dists);
  index = await startPackageIndex([
    await makeDistribution("wheel", dists, "django", "9.9"),
    await makeDistribution("wheel", dists, "wheel", "0.99"),
    await makeDistribution("sdist", dists, "cext", "1.0", cextSdist("cext", GOOD_C)),
    await makeDistribution("sdist", dists, "cbroken", "1.0", cextSdist("cbroken", BAD_C)),
  ]);
  host = defaultHostPython({ indexUrl: index.url, certFile: undefined });
});

afterAll(async () => {
  await index?.close();
  await rm(root, { recursive: true, force: true });
});

function download(name: string, sdistImage?: () => Promise<string>) {
  const dir = join(root, `${name}-${Math.random().toString(36).slice(2)}`);
  const lines: string[] = [];
  const builtWheelsDir = join(dir, "built");
  const result = mkdir(dir, { recursive: true }).then(() =>
    downloadWheels({
      runPip: createPipRunner({ host }), docker, image: "ponyci/python:3.11", python: "3.11",
      targetArgs: pipTargetArgs({ python: "3.11", libc: "glibc", libcVersion: "2.36", machine: "x86_64" }), django: "9.9",
      requirements: [name], dest: join(dir, "dest"), scratchDir: dir, host, buildLimits: limits, wheelsDir: join(dir, "shared"), builtWheelsDir, sdistImage,
      onLine: (line) => lines.push(line),
    }),
  );
  return { result, lines, builtWheelsDir };
}

describe("the build toolchain", () => {
  it("derives its images from a base image reference: runtime FROM the base, build FROM the runtime image", () => {
    expect(toolchainDockerfile("runtime", "sha256:abc", ["libpq-dev"])).toMatch(/^FROM sha256:abc\n[\s\S]*apt-cache depends [\s\S]*libpq-dev/);
    expect(toolchainDockerfile("build", "ponyci/toolchain-runtime:x", ["libpq-dev"])).toMatch(/^FROM ponyci\/toolchain-runtime:x\n[\s\S]*apt-get install -y --no-install-recommends libpq-dev/);
  });

  it("a C extension's sdist: no compiler in the base image (the error names the package and the compiler's complaint), built in the toolchain image, cached by content", async () => {
    const bare = download("cext");
    const error = await bare.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toMatch(/^cext has no wheel for Python 3.11, and its source distribution cext-1.0.tar.gz did not build \(offline, without compilers\)[\s\S]*gcc/);

    const built = download("cext", () => toolchain.buildImage("ponyci/python:3.11", { onLine: (line) => built.lines.push(line) }));
    expect(await built.result).toEqual(["cext-1.0-cp311-cp311-linux_x86_64.whl", "django-9.9-py3-none-any.whl"]);
    expect(await readdir(built.builtWheelsDir)).toEqual(["cext-1.0-cp311-cp311-linux_x86_64.whl"]);
    expect(built.lines).toContain("ponyci: built cext-1.0-cp311-cp311-linux_x86_64.whl from cext-1.0.tar.gz");
    // The runtime image exists (the build image is FROM it) and is found again without a build.
    const runtime = await toolchain.runtimeImage("ponyci/python:3.11");
    expect(runtime).toMatch(/^ponyci\/toolchain-runtime:[0-9a-f]{16}$/);
    const inspect = await docker.getImage(runtime).inspect();
    expect(inspect.Config.Labels?.["org.ponyci.toolchain.base"]).toBe("ponyci/python:3.11");
  }, 600_000);

  it("a compile error: the package named and the compiler's own last lines shown", async () => {
    const broken = download("cbroken", () => toolchain.buildImage("ponyci/python:3.11"));
    const error = await broken.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toMatch(/^cbroken has no wheel for Python 3.11, and its source distribution cbroken-1.0.tar.gz did not build \(offline, with Pony CI's build toolchain\)/);
    expect((error as Error).message).toMatch(/ext\.c:2:\d+: error:/);
  }, 600_000);
});

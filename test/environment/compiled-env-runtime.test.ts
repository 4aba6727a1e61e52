/**
 * Issue 22, item 1, through the environment builder: an environment holding
 * a wheel compiled from an sdist is handed out on the toolchain's runtime
 * image (the base plus the libraries such wheels link), and the compiled
 * module imports there, in a container set up as a test container is (the
 * venv read-only, the test uid, no network). An environment of wheels only
 * stays on the plain base image. Real Docker; a package index on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createEnvironmentBuilder } from "../../runner/src/environment/create-environment-builder.js";
import { defaultHostPython } from "../../src/domain/host-python.js";
import { createToolchainImages } from "../../runner/src/environment/toolchain/create-toolchain-images.js";
import { makeDistribution, startPackageIndex, type PackageIndex } from "../support/package-index.js";
import { runInEnvironment } from "../support/run-in-environment.js";

const docker = createDocker();
// The smallest toolchain that compiles a C extension (as toolchain-sdist.test.ts: the same images, cached by recipe).
const toolchain = createToolchainImages({ docker, devPackages: ["gcc", "libc6-dev"] });
let root: string;
let index: PackageIndex;

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

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-compiled-env-"));
  const dists = join(root, "dists");
  await mkdir(dists);
  index = await startPackageIndex([
    await makeDistribution("wheel", dists, "django", "9.9"),
    await makeDistribution("wheel", dists, "wheel", "0.99"),
    await makeDistribution("wheel", dists, "purelib", "1.0"),
    await makeDistribution("sdist", dists, "cext", "1.0", cextSdist("cext", GOOD_C)),
  ]);
});

afterAll(async () => {
  await index?.close();
  await rm(root, { recursive: true, force: true });
});

describe("a compiled environment runs on the runtime image", () => {
  it("the builder hands out the runtime image for an environment with a compiled wheel, and the module imports there", async () => {
    const builder = createEnvironmentBuilder({
      docker,
      cacheDir: join(root, "cache"),
      keySalt: `test-${randomUUID()}`,
      host: defaultHostPython({ indexUrl: index.url, certFile: undefined }),
      toolchain,
      listDjangoVersions: async () => ["9.9"],
    });
    try {
      const compiled = await builder.ensure({ python: "3.11", django: "9.9", requirements: ["cext"] });
      expect(compiled.image).toBe(await toolchain.runtimeImage("ponyci/python:3.11"));
      expect(compiled.image).toMatch(/^ponyci\/toolchain-runtime:[0-9a-f]{16}$/);
      expect(compiled.packages).toContain("cext==1.0");
      const run = await runInEnvironment(docker, compiled, "python -c 'import cext, sys; print(cext.__file__.startswith(sys.prefix))'");
      expect(run).toEqual({ exitCode: 0, lines: ["True"] });

      const plain = await builder.ensure({ python: "3.11", django: "9.9", requirements: ["purelib"] });
      expect(plain.image).toBe("ponyci/python:3.11");
    } finally {
      await builder.close();
    }
  }, 600_000);
});

/**
 * Environments with C extensions from source (issue 22): a project needing
 * `mysqlclient` and `psycopg2` (source distributions only, for Linux),
 * through the environment builder on a fresh data directory:
 *
 * - toolchain: the build and runtime images derived from the base image
 *   (apt, once per base image; 0 s when they exist already);
 * - cold: the first environment compiles both wheels in the hardened build
 *   container;
 * - warm, new key: the same requirements with another Django (a new
 *   environment) compiles nothing: the built wheels are reused;
 * - warm, same key: the environment itself is reused.
 *
 * Run after `npm run build`: `node dist/bench/compiled-env-bench.js [python]`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDocker } from "../runner/src/docker/create-docker.js";
import { createEnvironmentBuilder } from "../runner/src/environment/create-environment-builder.js";
import { createToolchainImages } from "../runner/src/environment/toolchain/create-toolchain-images.js";
import { isMainModule } from "./support/is-main-module.js";

const REQUIREMENTS = ["mysqlclient==2.2.7", "psycopg2==2.9.10"];

export async function runCompiledEnvBench(python = "3.11"): Promise<Record<string, number | string>> {
  const docker = createDocker();
  const cacheDir = await mkdtemp(path.join(tmpdir(), "ponyci-compiled-bench-"));
  const toolchain = createToolchainImages({ docker });
  const base = `ponyci/python:${python}`;
  try {
    let t0 = Date.now();
    await toolchain.buildImage(base);
    const toolchainMs = Date.now() - t0;
    // pip: the sdist path (uv falls back to it for these anyway; pip keeps the bench to the compile path).
    const builder = createEnvironmentBuilder({ docker, cacheDir, toolchain, resolver: "pip", keySalt: `bench-${Date.now()}` });
    const run = async (django: string) => {
      const built: string[] = [];
      const start = Date.now();
      const env = await builder.ensure({ python, django, requirements: REQUIREMENTS, cacheScope: "bench" }, { onLog: (line) => line.startsWith("ponyci: built ") && line.includes(" from ") && built.push(line) });
      return { ms: Date.now() - start, compiled: built.length, image: env.image, built: env.built };
    };
    const cold = await run("5.2");
    const warmNewKey = await run("4.2");
    const warmSameKey = await run("5.2");
    await builder.close();
    t0 = Date.now();
    return {
      python,
      toolchainImagesMs: toolchainMs,
      coldMs: cold.ms,
      coldCompiled: cold.compiled,
      warmNewKeyMs: warmNewKey.ms,
      warmNewKeyCompiled: warmNewKey.compiled,
      warmSameKeyMs: warmSameKey.ms,
      warmSameKeyCompiled: warmSameKey.compiled,
      testImage: cold.image,
    };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

if (isMainModule(import.meta.url)) {
  const result = await runCompiledEnvBench(process.argv[2]);
  console.log(JSON.stringify(result, null, 2));
  if (result.warmNewKeyCompiled !== 0 || result.warmSameKeyCompiled !== 0) {
    console.error("a warm environment compiled again");
    process.exitCode = 1;
  }
}

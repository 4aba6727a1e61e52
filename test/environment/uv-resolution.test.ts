import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvironmentError } from "../../src/domain/environment-error.js";
import { defaultHostPython, type HostPython } from "../../src/domain/host-python.js";
import { createPipRunner } from "../../runner/src/environment/run-pip.js";
import { createWheelFetcher } from "../../runner/src/environment/uv/create-wheel-fetcher.js";
import { ensureUv } from "../../runner/src/environment/uv/ensure-uv.js";
import { parseLock, resolveWithUv, UvResolutionError, uvPlatform } from "../../runner/src/environment/uv/resolve-with-uv.js";
import { makeDistribution, markerSdistFiles, startPackageIndex, type PackageIndex } from "../support/package-index.js";

const probe = { python: "3.11", libc: "glibc", libcVersion: "2.36", machine: "x86_64" };

describe("uvPlatform and parseLock (pure)", () => {
  it.each([
    [{ ...probe }, "x86_64-manylinux_2_36"],
    [{ ...probe, libcVersion: "2.41" }, "x86_64-manylinux_2_40"],
    [{ ...probe, libcVersion: "2.30" }, "x86_64-manylinux_2_28"],
    [{ ...probe, libcVersion: "2.12" }, undefined],
    [{ ...probe, libc: "musl", libcVersion: "1.2" }, undefined],
    // uv targets CPython: PyPy goes to pip.
    [{ ...probe, implementation: "pypy" as const, abi: "pypy311_pp73" }, undefined],
    [{ ...probe, machine: "riscv64" }, undefined],
  ])("%j → %s", (p, expected) => {
    expect(uvPlatform(p)).toBe(expected);
  });

  const sha = "a".repeat(64);
  it("reads wheels with their URL and sha256", () => {
    const lock = `lock-version = "1.0"\n[[packages]]\nname = "asgiref"\nversion = "3.8.1"\nwheels = [{ url = "https://files.example/p/asgiref-3.8.1-py3-none-any.whl", size = 10, hashes = { sha256 = "${sha}" } }]\n`;
    expect(parseLock(lock)).toEqual([{ name: "asgiref", version: "3.8.1", file: "asgiref-3.8.1-py3-none-any.whl", url: "https://files.example/p/asgiref-3.8.1-py3-none-any.whl", sha256: sha, size: 10 }]);
  });

  it.each([
    ["a file URL", `{ url = "file:///etc/x-1.0-py3-none-any.whl", hashes = { sha256 = "${sha}" } }`],
    ["no hash", `{ url = "https://h/x-1.0-py3-none-any.whl" }`],
    ["a short hash", `{ url = "https://h/x-1.0-py3-none-any.whl", hashes = { sha256 = "abc" } }`],
    ["a path as file name", `{ url = "https://h/..%2F..%2Fx-1.0-py3-none-any.whl", hashes = { sha256 = "${sha}" } }`],
    ["not a wheel", `{ url = "https://h/x-1.0.tar.gz", hashes = { sha256 = "${sha}" } }`],
  ])("refuses %s", (_name, wheel) => {
    expect(() => parseLock(`[[packages]]\nname = "x"\nversion = "1.0"\nwheels = [${wheel}]\n`)).toThrow(UvResolutionError);
  });

  it("a package with only an sdist needs a build (the pip path)", () => {
    expect(() => parseLock(`[[packages]]\nname = "x"\nversion = "1.0"\nsdist = { url = "https://h/x-1.0.tar.gz" }\n`)).toThrow(expect.objectContaining({ kind: "needs-build" }));
  });
});

// Real uv (from PyPI through host pip, once), resolving against a package index on 127.0.0.1.
describe("resolveWithUv and the wheel fetcher against a local index", () => {
  let root: string;
  let index: PackageIndex;
  let host: HostPython;
  let uv: string;
  let marker: string;
  let good: { filename: string; body: Buffer };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ponyci-uv-"));
    uv = await ensureUv({ toolsDir: join(tmpdir(), "ponyci-test-tools"), runPip: createPipRunner() });
    marker = join(root, "sdist-backend-ran");
    const good1 = await makeDistribution("wheel", root, "goodpkg", "1.0");
    good = good1;
    const sdist = await makeDistribution("sdist", root, "onlysdist", "1.0", markerSdistFiles(marker, "onlysdist", "1.0"));
    index = await startPackageIndex([good1, sdist]);
    host = defaultHostPython({ indexUrl: index.url, certFile: undefined });
  }, 180_000);
  afterAll(async () => {
    await index?.close();
    await rm(root, { recursive: true, force: true });
  });

  const resolve = async (requirements: string[]) => {
    const scratchDir = await mkdtemp(join(root, "scratch-"));
    return resolveWithUv({ uv, host, cacheDir: join(root, "uv-cache"), probe, requirements, constraints: [], scratchDir });
  };

  it("resolves a wheel for the exact target, with the index's URL and sha256", async () => {
    const wheels = await resolve(["goodpkg>=1"]);
    expect(wheels).toHaveLength(1);
    expect(wheels[0]).toMatchObject({ name: "goodpkg", version: "1.0", file: good.filename });
    expect(wheels[0]!.url).toBe(new URL(`/files/${good.filename}`, index.url).toString());
  });

  it("an sdist-only requirement is 'needs-build', and its backend never runs on the host", async () => {
    await expect(resolve(["onlysdist"])).rejects.toMatchObject({ kind: "needs-build" });
    expect(existsSync(marker)).toBe(false);
  });

  it("a requirement no index has is the project's error", async () => {
    await expect(resolve(["no-such-package-anywhere"])).rejects.toMatchObject({ kind: "project" });
  });

  it("downloads each missing wheel once for concurrent builds, checks its sha256, and keeps a bad one out of the cache", async () => {
    const wheels = await resolve(["goodpkg"]);
    const wheelsDir = join(root, "wheels");
    const fetcher = createWheelFetcher({ host, wheelsDir });
    const before = index.requests.filter((r) => r.includes("/files/goodpkg")).length;
    const [a, b] = await Promise.all([fetcher.ensure(wheels), fetcher.ensure(wheels)]);
    expect([a, b]).toEqual([1, 1]); // both needed it; one request served both
    expect(index.requests.filter((r) => r.includes("/files/goodpkg")).length - before).toBe(1);
    expect(await readFile(join(wheelsDir, good.filename))).toEqual(good.body);
    expect(await fetcher.ensure(wheels)).toBe(0); // cached: no request
    expect(index.requests.filter((r) => r.includes("/files/goodpkg")).length - before).toBe(1);

    const otherDir = join(root, "wheels-2");
    const tampered = wheels.map((w) => ({ ...w, sha256: "0".repeat(64) }));
    const bad = createWheelFetcher({ host, wheelsDir: otherDir });
    await expect(bad.ensure(tampered)).rejects.toThrow(EnvironmentError);
    await expect(bad.ensure(tampered)).rejects.toThrow(/sha256/);
    expect(await readdir(otherDir)).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDjangoVersionCache } from "../../runner/src/environment/django-version-cache.js";
import { defaultHostPython, type HostPython } from "../../src/domain/host-python.js";
import { createIndexDjangoVersions, resolveDjangoVersion } from "../../runner/src/environment/resolve-django-version.js";
import type { PipRunner } from "../../runner/src/environment/run-pip.js";
import { silentLogger } from "../../src/domain/logger.js";
import { startPackageIndex, type IndexedFile, type PackageIndex } from "../support/package-index.js";

/**
 * Issue 12: a cold environment resolves Django's series from the index's
 * PEP 691 JSON, without starting pip (what `pip index versions --pre
 * --python-version X.Y --only-binary=:all:` would answer).
 */
const wheel = (version: string, extra: Partial<IndexedFile> = {}): IndexedFile => ({ project: "django", filename: `Django-${version}-py3-none-any.whl`, body: Buffer.from(version), ...extra });

describe("Django's versions from the index's JSON", () => {
  let index: PackageIndex;
  let host: HostPython;
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ponyci-index-versions-"));
    index = await startPackageIndex([
      wheel("4.2.1"),
      wheel("4.2.2"),
      wheel("4.2.3", { yanked: true }),
      { project: "django", filename: "Django-4.2.4.tar.gz", body: Buffer.from("sdist only") },
      wheel("5.2.1", { requiresPython: ">=3.10" }),
      wheel("6.0a1", { requiresPython: ">=3.12" }),
    ]);
    host = defaultHostPython({ indexUrl: index.url, certFile: undefined });
  });
  afterAll(async () => {
    await index?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("lists versions with a wheel for the Python, newest first: no sdist-only, yanked or Requires-Python-excluded one", async () => {
    const listVersions = createIndexDjangoVersions({ host, tmpDir: join(root, "tmp-list") });
    expect(await listVersions("3.9")).toEqual(["4.2.2", "4.2.1"]);
    expect(await listVersions("3.11")).toEqual(["5.2.1", "4.2.2", "4.2.1"]);
    expect(await listVersions("3.13")).toEqual(["6.0a1", "5.2.1", "4.2.2", "4.2.1"]);
    const missing = await startPackageIndex([{ project: "flask", filename: "Flask-3.0.0-py3-none-any.whl", body: Buffer.from("x") }]);
    try {
      expect(await createIndexDjangoVersions({ host: defaultHostPython({ indexUrl: missing.url, certFile: undefined }), tmpDir: join(root, "tmp-missing") })("3.11")).toBeUndefined();
    } finally {
      await missing.close();
    }
  });

  it("resolves a series through it without pip, and remembers the answer", async () => {
    const pipCalls: string[][] = [];
    const runPip: PipRunner = async (args) => {
      pipCalls.push(args);
      return { exitCode: 1, lines: ["pip must not run"] };
    };
    const cache = createDjangoVersionCache({ file: join(root, "versions.json"), ttlMs: 60_000, now: Date.now });
    const listVersions = createIndexDjangoVersions({ host, tmpDir: join(root, "tmp") });
    const requests = index.requests.length;
    expect(await resolveDjangoVersion("3.11", "4.2", { runPip, listVersions, cache, log: silentLogger })).toBe("4.2.2");
    expect(await resolveDjangoVersion("3.13", "6.0", { runPip, listVersions, cache, log: silentLogger })).toBe("6.0a1");
    expect(pipCalls).toEqual([]);
    // Cached: the index is not asked again.
    const asked = index.requests.length;
    expect(asked).toBe(requests + 2);
    expect(await resolveDjangoVersion("3.11", "4.2", { runPip, listVersions, cache, log: silentLogger })).toBe("4.2.2");
    expect(index.requests.length).toBe(asked);
  });

  it("asks pip when the index's JSON cannot answer", async () => {
    const pipCalls: string[] = [];
    const runPip: PipRunner = async (args) => {
      pipCalls.push(args[0] ?? "");
      return { exitCode: 0, lines: ["django (4.2.9)", "Available versions: 4.2.9, 4.2.8"] };
    };
    const cache = createDjangoVersionCache({ file: join(root, "versions-2.json"), ttlMs: 60_000, now: Date.now });
    const broken = async (): Promise<string[]> => {
      throw new Error("the index did not answer in PEP 691 JSON");
    };
    expect(await resolveDjangoVersion("3.11", "4.2", { runPip, listVersions: broken, cache, log: silentLogger })).toBe("4.2.9");
    expect(pipCalls).toEqual(["index"]);
  });
});

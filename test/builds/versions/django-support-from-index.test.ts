import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createIndexReader } from "../../../runner/src/environment/create-index-reader.js";
import { defaultHostPython } from "../../../src/domain/host-python.js";
import { createDjangoSupportSource } from "../../../src/builds/versions/create-django-support-source.js";
import { shippedDjangoSupport } from "../../../src/builds/versions/django-support.js";
import { makeDistribution, startPackageIndex, type IndexedFile, type PackageIndex } from "../../support/package-index.js";

/** A Django wheel whose METADATA says `requiresPython` and classifies `pythons`. */
async function djangoWheel(dir: string, version: string, requiresPython: string, pythons: string[], extra: Partial<IndexedFile> & { asCoreMetadata?: boolean } = {}): Promise<IndexedFile> {
  const metadata = [
    "Metadata-Version: 2.1", "Name: Django", `Version: ${version}`, `Requires-Python: ${requiresPython}`,
    "Classifier: Framework :: Django", "Classifier: Programming Language :: Python :: 3", "Classifier: Programming Language :: Python :: 3 :: Only",
    ...pythons.map((p) => `Classifier: Programming Language :: Python :: ${p}`), "", "Long description.", "",
  ].join("\n");
  const wheel = await makeDistribution("wheel", dir, "Django", version, { [`Django-${version}.dist-info/METADATA`]: metadata, "django/__init__.py": `# ${"x".repeat(100_000)}\n` });
  const { asCoreMetadata, ...rest } = extra;
  return { ...wheel, requiresPython, ...(asCoreMetadata ? { coreMetadata: metadata } : {}), ...rest };
}

describe("Django's support table from the package index", () => {
  let dir: string;
  let index: PackageIndex;
  let files: IndexedFile[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ponyci-django-support-"));
    files = [
      await djangoWheel(dir, "4.2.20", ">=3.8", ["3.8", "3.9", "3.10", "3.11", "3.12"]),
      await djangoWheel(dir, "5.2.8", ">=3.10", ["3.10", "3.11", "3.12", "3.13", "3.14"]),
      // Yanked: its 3.15 classifier must not count, and 5.2.8 stays the series' release.
      await djangoWheel(dir, "5.2.9", ">=3.10", ["3.10", "3.11", "3.12", "3.13", "3.14", "3.15"], { yanked: true }),
      // PEP 658 metadata file; a 3.11 classifier its Requires-Python excludes.
      await djangoWheel(dir, "6.0", ">=3.12", ["3.11", "3.12", "3.13", "3.14"], { asCoreMetadata: true }),
      await djangoWheel(dir, "6.1a1", ">=3.12", ["3.12", "3.13", "3.14", "3.15"]),
      // Before Requires-Python: not a series Pony CI plans.
      { ...(await makeDistribution("wheel", dir, "Django", "1.11.29")) },
      { ...(await makeDistribution("sdist", dir, "Django", "6.0")), requiresPython: ">=3.12" },
    ];
    index = await startPackageIndex(files);
  });

  afterAll(async () => {
    await index.close();
    await rm(dir, { recursive: true, force: true });
  });

  const reader = () => createIndexReader({ host: defaultHostPython({ indexUrl: index.url }), tmpDir: path.join(dir, "tmp") });

  it("reads each series' newest release: classifiers its Requires-Python admits, yanked releases skipped, pre-release series flagged", async () => {
    const cacheFile = path.join(dir, "a", "django-support.json");
    const source = createDjangoSupportSource({ cacheFile, refreshMs: 3600_000, reader: reader() });
    const table = await source.get();
    expect(table.series).toEqual({
      "4.2": { python: ["3.8", "3.9", "3.10", "3.11", "3.12"], latest: "4.2.20" },
      "5.2": { python: ["3.10", "3.11", "3.12", "3.13", "3.14"], latest: "5.2.8" },
      "6.0": { python: ["3.12", "3.13", "3.14"], latest: "6.0" },
      "6.1": { python: ["3.12", "3.13", "3.14", "3.15"], latest: "6.1a1", prerelease: true },
    });
    expect(table.source).toBe(`${index.url}django/`);
    // The wheels were read by ranges, 6.0 from its metadata file, the yanked wheel not at all.
    expect(index.rangeRequests).toBeGreaterThan(0);
    expect(index.requests).toContain("/files/Django-6.0-py3-none-any.whl.metadata");
    expect(index.requests).not.toContain("/files/Django-5.2.9-py3-none-any.whl");
    // Cached in the data directory, in the snapshot's shape.
    expect(JSON.parse(await readFile(cacheFile, "utf8"))).toMatchObject({ series: { "6.0": { latest: "6.0" } } });
  });

  it("a new series appears at the next refresh with no code change, and a refresh reads only new releases' wheels", async () => {
    let now = new Date("2026-12-01T00:00:00Z");
    const cacheFile = path.join(dir, "b", "django-support.json");
    const source = createDjangoSupportSource({ cacheFile, refreshMs: 3600_000, reader: reader(), now: () => now });
    expect(Object.keys((await source.get()).series)).toEqual(["4.2", "5.2", "6.0", "6.1"]);

    index.add(await djangoWheel(dir, "6.1", ">=3.12", ["3.12", "3.13", "3.14", "3.15"]));
    index.add(await djangoWheel(dir, "6.2", ">=3.12", ["3.12", "3.13", "3.14", "3.15", "3.16"]));
    const before = index.requests.length;
    expect((await source.get()).series["6.2"]).toBeUndefined(); // still fresh: the index is not asked
    expect(index.requests.length).toBe(before);

    now = new Date("2026-12-01T02:00:00Z");
    const table = await source.get();
    expect(table.series["6.2"]).toEqual({ python: ["3.12", "3.13", "3.14", "3.15", "3.16"], latest: "6.2" });
    expect(table.series["6.1"]).toEqual({ python: ["3.12", "3.13", "3.14", "3.15"], latest: "6.1" });
    const read = index.requests.slice(before).filter((p) => p.startsWith("/files/"));
    expect([...new Set(read)].sort()).toEqual(["/files/Django-6.1-py3-none-any.whl", "/files/Django-6.2-py3-none-any.whl"]);
  });

  it("offline: the cached table however old, else the snapshot shipped with Pony CI", async () => {
    const offline = createIndexReader({ host: defaultHostPython({ indexUrl: "http://127.0.0.1:9/simple/" }), tmpDir: path.join(dir, "tmp") });
    const cached = createDjangoSupportSource({ cacheFile: path.join(dir, "b", "django-support.json"), refreshMs: 0, reader: offline });
    expect((await cached.get()).series["6.2"]?.latest).toBe("6.2");

    const never = createDjangoSupportSource({ cacheFile: path.join(dir, "c", "django-support.json"), refreshMs: 0, reader: offline });
    const table = await never.get();
    expect(table).toBe(shippedDjangoSupport());
    expect(table.source).toBe("snapshot");
    // The shipped snapshot was read from the real index: Django 6.1 on 3.12+, 4.2 up to 3.12.
    expect(table.series["6.1"]?.python).toEqual(expect.arrayContaining(["3.12", "3.13", "3.14"]));
    expect(table.series["4.2"]?.python).toEqual(["3.8", "3.9", "3.10", "3.11", "3.12"]);
  });

  it("the operator's file wins and the index is never asked; a broken one is refused with its name", async () => {
    const file = path.join(dir, "mine.json");
    await writeFile(file, JSON.stringify({ series: { "5.2": { python: ["3.13", "3.12"], latest: "5.2.1" } } }));
    const before = index.requests.length;
    const source = createDjangoSupportSource({ cacheFile: path.join(dir, "d", "x.json"), refreshMs: 0, overrideFile: file, reader: reader() });
    expect(await source.get()).toMatchObject({ source: file, series: { "5.2": { python: ["3.12", "3.13"], latest: "5.2.1" } } });
    expect(index.requests.length).toBe(before);

    await writeFile(file, JSON.stringify({ series: { "5.2": { python: ["python3.13"] } } }));
    const broken = createDjangoSupportSource({ cacheFile: path.join(dir, "d", "x.json"), refreshMs: 0, overrideFile: file });
    await expect(broken.get()).rejects.toThrow(`${file}: series 5.2: \`python\` must be a list of "3.X" versions`);
  });
});

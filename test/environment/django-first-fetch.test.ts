import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProjectPageMemo } from "../../runner/src/environment/create-project-page-memo.js";
import { createIndexDjangoVersions } from "../../runner/src/environment/resolve-django-version.js";
import type { PipRunner } from "../../runner/src/environment/run-pip.js";
import { createUvInstaller } from "../../runner/src/environment/uv/create-uv-installer.js";
import { defaultHostPython, type HostPython } from "../../src/domain/host-python.js";
import { startPackageIndex, type PackageIndex } from "../support/package-index.js";

/**
 * Issue 28, the cold environment: Django's wheel is fetched before uv
 * resolves (so its unpacking can run meanwhile), from the same index page
 * the version pick read, and checked like every download.
 */
const noPip: PipRunner = async () => ({ exitCode: 1, lines: ["pip must not run"] });
let index: PackageIndex;
let host: HostPython;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-django-first-"));
  index = await startPackageIndex([
    { project: "django", filename: "django-5.2.1-py3-none-any.whl", body: Buffer.from("the 5.2.1 wheel") },
    { project: "django", filename: "django-5.2.2-py3-none-any.whl", body: Buffer.from("the 5.2.2 wheel"), sha256: "0".repeat(64) },
    { project: "django", filename: "django-5.2.3-py3-none-any.whl", body: Buffer.from("yanked"), yanked: true },
  ]);
  host = defaultHostPython({ indexUrl: index.url, certFile: undefined });
});
afterAll(async () => {
  await index?.close();
  await rm(root, { recursive: true, force: true });
});

const pageRequests = () => index.requests.filter((p) => p.startsWith("/simple/django")).length;
const fileRequests = (file: string) => index.requests.filter((p) => p.endsWith(`/${file}`)).length;

describe("Django first: the wheel before resolve", () => {
  it("one page request serves the version pick and the wheel fetch of every build within a minute; the wheel is checked and cached", async () => {
    const wheelsDir = join(root, "wheels-1");
    const pages = createProjectPageMemo({ host, tmpDir: join(root, "tmp") });
    const versions = createIndexDjangoVersions({ host, tmpDir: join(root, "tmp"), pages });
    const uv = createUvInstaller({ host, runPip: noPip, toolsDir: join(root, "tools"), uvCacheDir: join(root, "uv-cache"), wheelsDir, pages });
    const before = pageRequests();
    expect(await versions("3.12")).toEqual(["5.2.2", "5.2.1"]);
    // Three builds of one matrix at once: one page request in all (the pick's), one download of the file.
    const files = await Promise.all([uv.fetchDjangoWheel("5.2.1"), uv.fetchDjangoWheel("5.2.1"), uv.fetchDjangoWheel("5.2.1")]);
    expect(files).toEqual(["django-5.2.1-py3-none-any.whl", "django-5.2.1-py3-none-any.whl", "django-5.2.1-py3-none-any.whl"]);
    expect(pageRequests() - before).toBe(1);
    expect(fileRequests("django-5.2.1-py3-none-any.whl")).toBe(1);
    expect(await readFile(join(wheelsDir, "django-5.2.1-py3-none-any.whl"), "utf8")).toBe("the 5.2.1 wheel");
    // In the cache already: not even the page is asked for.
    const fresh = createUvInstaller({ host, runPip: noPip, toolsDir: join(root, "tools"), uvCacheDir: join(root, "uv-cache"), wheelsDir, pages: createProjectPageMemo({ host, tmpDir: join(root, "tmp") }) });
    const requests = index.requests.length;
    expect(await fresh.fetchDjangoWheel("5.2.1")).toBe("django-5.2.1-py3-none-any.whl");
    expect(index.requests.length).toBe(requests);
  });

  it("a file whose sha256 is not the index's, a yanked or missing version, a version that is not one: nothing, and nothing in the cache", async () => {
    const wheelsDir = join(root, "wheels-2");
    const uv = createUvInstaller({ host, runPip: noPip, toolsDir: join(root, "tools"), uvCacheDir: join(root, "uv-cache"), wheelsDir, pages: createProjectPageMemo({ host, tmpDir: join(root, "tmp") }) });
    expect(await uv.fetchDjangoWheel("5.2.2")).toBeUndefined();
    expect(existsSync(join(wheelsDir, "django-5.2.2-py3-none-any.whl"))).toBe(false);
    expect(await uv.fetchDjangoWheel("5.2.3")).toBeUndefined();
    expect(await uv.fetchDjangoWheel("9.9")).toBeUndefined();
    // A "version" that would be a path: refused before any file name is made of it.
    await mkdir(join(root, "outside"), { recursive: true });
    await writeFile(join(root, "outside", "x-py3-none-any.whl"), "not Django");
    const requests = index.requests.length;
    expect(await uv.fetchDjangoWheel("../outside/x")).toBeUndefined();
    expect(index.requests.length).toBe(requests);
  });

  it("a page is kept for its time only, and a failed request is not kept", async () => {
    let now = 1_000;
    const pages = createProjectPageMemo({ host, tmpDir: join(root, "tmp"), ttlMs: 60_000, now: () => now });
    const before = pageRequests();
    await pages("django");
    now += 59_000;
    await pages("django");
    expect(pageRequests() - before).toBe(1);
    now += 2_000;
    await pages("django");
    expect(pageRequests() - before).toBe(2);
    // An index that fails once: the failure is not remembered, the next call asks again and gets the page.
    let calls = 0;
    const flaky = createServer((_req, res) => {
      calls++;
      if (calls === 1) return void res.writeHead(500).end("down");
      res.writeHead(200, { "Content-Type": "application/vnd.pypi.simple.v1+json" }).end(JSON.stringify({ meta: { "api-version": "1.0" }, name: "django", files: [] }));
    });
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    try {
      const flakyPages = createProjectPageMemo({ host: defaultHostPython({ indexUrl: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/simple/`, certFile: undefined }), tmpDir: join(root, "tmp") });
      await expect(flakyPages("django")).rejects.toThrow(/HTTP 500/);
      expect(await flakyPages("django")).toMatchObject({ files: [] });
      expect(calls).toBe(2);
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });
});

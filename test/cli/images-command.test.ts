import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { imagesCommand } from "../../src/cli/images-command.js";

/** `ponyci images`: PyPy listed under its name, and `add` takes pypy3.X (issue 21). */
describe("ponyci images", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ponyci-images-cli-"));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("lists CPython and PyPy, aligned, with where each came from or comes from", async () => {
    let text = "";
    const code = await imagesCommand([], { settings: { dataDir, pythonImages: { "pypy3.30": "registry.example/pypy:3.30-slim" } }, out: { write: (t) => void (text += t) } });
    expect(code).toBe(0);
    expect(text).toContain("  Python 3.11  glibc 2.36   ponyci/python:3.11");
    // The operator's PyPy, and Debian's pypy3 (runner/images/debian-pypys.txt) when its image is not there yet.
    expect(text).toContain("  PyPy 3.30    from operator:registry.example/pypy:3.30-slim\n");
    expect(text).toMatch(/ {2}PyPy 3\.9 {5}(glibc 2\.\d+ +ponyci\/pypy:3\.9 +debian:bookworm|from debian:bookworm)\n/);
  });

  it("add takes a CPython or a PyPy version, nothing else", async () => {
    const out = { write: () => undefined };
    await expect(imagesCommand(["add", "pypy2.7"], { settings: { dataDir, pythonImages: {} }, out })).rejects.toThrow(/takes one Python version such as 3\.12 or pypy3\.11/);
    await expect(imagesCommand(["add", "pypy3.11; rm -rf /"], { settings: { dataDir, pythonImages: {} }, out })).rejects.toThrow(/takes one Python version/);
  });
});

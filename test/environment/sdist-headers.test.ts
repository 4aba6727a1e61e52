/**
 * Issue 23: reading an sdist's pyproject.toml on the host kept every tar
 * header in memory (tarfile remembers each member it has seen): a .tar.gz of
 * tiny members packs hundreds of thousands of headers into a megabyte or
 * two. The helper now forgets each header once looked at, caps the members
 * and its address space.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const HELPER = path.resolve("runner/src/environment/python/read_sdist_pyproject.py");
const MEMBERS = 120_000;

describe("an sdist with a great many members", () => {
  let dir: string;
  let archive: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ponyci-sdist-headers-"));
    archive = path.join(dir, "pkg-1.0.tar.gz");
    // Headers built directly (tarfile's addfile is slow), gzip'd at once: about 1 MB on disk.
    const make = `
import gzip, sys, tarfile
parts = [tarfile.TarInfo(f"pkg-1.0/f/{i}").tobuf(tarfile.USTAR_FORMAT) for i in range(${MEMBERS})]
data = b'[build-system]\\nrequires = ["setuptools"]\\n'
info = tarfile.TarInfo("pkg-1.0/pyproject.toml"); info.size = len(data)
parts.append(info.tobuf(tarfile.USTAR_FORMAT) + data + b"\\0" * (512 - len(data)) + b"\\0" * 1024)
open(sys.argv[1], "wb").write(gzip.compress(b"".join(parts), compresslevel=1))
`;
    await execa("python3", ["-I", "-c", make, archive]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the pyproject.toml after them with flat memory", async () => {
    // The helper's peak resident memory, as its parent sees it.
    const measure = `
import json, resource, subprocess, sys
out = subprocess.run([sys.executable, "-I", sys.argv[1], sys.argv[2], "262144"], capture_output=True, text=True).stdout
print(json.dumps({"out": out.strip(), "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
`;
    const { stdout } = await execa("python3", ["-I", "-c", measure, HELPER, archive]);
    const { out, maxrss_kb } = JSON.parse(stdout) as { out: string; maxrss_kb: number };
    expect(JSON.parse(out)).toEqual({ pyproject: '[build-system]\nrequires = ["setuptools"]\n' });
    // Python itself takes ~10 MB; every header kept took ~0.4 KB each (about 60 MB here).
    expect(maxrss_kb / 1024).toBeLessThan(35);
  });
});

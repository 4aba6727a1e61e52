/**
 * Issue 22: a real uv.lock is 0.5–3 MB (every wheel's URL and hash), over
 * planning's 256 KiB per file, so tox-uv's lock runner was refused as a
 * config error. uv.lock now has its own bound (MAX_UV_LOCK_BYTES), read
 * from the git mirror and from GitHub alike, and only its package lines are
 * parsed.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readBlobs } from "../../runner/src/checkout/read-blobs.js";
import { MAX_PLANNING_FILE_BYTES, MAX_UV_LOCK_BYTES, planFromRepoFiles, planningFileLimit } from "../../src/builds/plan-from-repo-files.js";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { planJobSpec } from "../../src/builds/plan-job-spec.js";
import { readUvLock } from "../../src/builds/tox/read-uv-lock.js";

const TOX = `[tox]
env_list = py312-django52
[testenv]
runner = uv-venv-lock-runner
commands = python -m pytest
`;

/** A lock shaped like uv's: per package its dependencies, an sdist and many wheels (URL + hash + size lines). */
function generateLock(packages: number, wheelsPerPackage: number): string {
  const hash = "0123456789abcdef".repeat(4);
  const parts = ['version = 1\nrevision = 2\nrequires-python = ">=3.10"\n'];
  for (let i = 0; i < packages; i++) {
    const name = `pkg-${i}`;
    const wheels = Array.from({ length: wheelsPerPackage }, (_, w) => `    { url = "https://files.pythonhosted.org/packages/ab/cd/${hash}/${name.replace("-", "_")}-1.${i}-cp3${w}-cp3${w}-manylinux_2_17_x86_64.whl", hash = "sha256:${hash}", size = ${100_000 + w} },`);
    parts.push(
      `\n[[package]]\nname = "${name}"\nversion = "1.${i}"\nsource = { registry = "https://pypi.org/simple" }\ndependencies = [\n    { name = "pkg-${i + 1}" },\n]\n` +
        `sdist = { url = "https://files.pythonhosted.org/packages/ab/cd/${hash}/${name}-1.${i}.tar.gz", hash = "sha256:${hash}", size = 123456 }\nwheels = [\n${wheels.join("\n")}\n]\n` +
        `\n[package.metadata]\nrequires-dist = [\n    { name = "pkg-${i + 1}", specifier = ">=1" },\n]\n`,
    );
  }
  return parts.join("");
}

describe("uv.lock has its own bound", () => {
  let dir: string;
  let sha: string;
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir() };
  const git = (args: string[], input?: Buffer | string) => execFileSync("git", ["--git-dir", dir, ...args], { input, env, maxBuffer: 64 << 20 }).toString().trim();
  const commit = (files: Record<string, string>) => {
    const entries = Object.entries(files).map(([name, text]) => `100644 blob ${git(["hash-object", "-w", "--stdin"], text)}\t${name}\n`);
    return git(["-c", "user.name=t", "-c", "user.email=t@t", "commit-tree", git(["mktree"], entries.join("")), "-m", "lock"]);
  };
  const lock = generateLock(1500, 12);
  let tooBigSha: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ponyci-uvlock-"));
    git(["init", "--bare", "-q"]);
    sha = commit({ "tox.ini": TOX, "uv.lock": lock });
    // Past the lock's own bound: zeros, never read.
    const huge = execFileSync("sh", ["-c", `head -c ${MAX_UV_LOCK_BYTES + 1} /dev/zero | git --git-dir ${dir} hash-object -w --stdin`], { env }).toString().trim();
    const tree = git(["mktree"], `100644 blob ${git(["hash-object", "-w", "--stdin"], TOX)}\ttox.ini\n100644 blob ${huge}\tuv.lock\n`);
    tooBigSha = git(["-c", "user.name=t", "-c", "user.email=t@t", "commit-tree", tree, "-m", "huge"]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a multi-megabyte lock from the mirror pins its packages' versions", async () => {
    expect(Buffer.byteLength(lock)).toBeGreaterThan(4 * MAX_PLANNING_FILE_BYTES);
    const read = (paths: string[]) => readBlobs({ gitDir: dir, sha, paths, env, maxBytes: planningFileLimit });
    const spec = await planFromRepoFiles(read, (readFile) => planJobSpec(planMatrix(readFile), { python: "3.12", django: "5.2" }));
    expect(spec.environment.constraints).toHaveLength(1500);
    expect(spec.environment.constraints).toContain("pkg-0==1.0");
    expect(spec.environment.constraints).toContain("pkg-1499==1.1499");
  });

  it("a lock past MAX_UV_LOCK_BYTES is a config error naming the lock's bound; other files keep theirs", async () => {
    const read = (paths: string[]) => readBlobs({ gitDir: dir, sha: tooBigSha, paths, env, maxBytes: planningFileLimit });
    await expect(planFromRepoFiles(read, (readFile) => planJobSpec(planMatrix(readFile), { python: "3.12", django: "5.2" }))).rejects.toThrow(
      `uv.lock is ${MAX_UV_LOCK_BYTES + 1} bytes: Pony CI reads uv.lock of at most 16 MiB.`,
    );
    expect(planningFileLimit("tox.ini")).toBe(MAX_PLANNING_FILE_BYTES);
    expect(planningFileLimit("sub/uv.lock")).toBe(MAX_PLANNING_FILE_BYTES);
  });

  it("only package lines are parsed: a lock's bulk of other keys and long lines never becomes a pin", () => {
    const text = `${generateLock(2, 1)}\n[[package]]\nname = "x"\nversion = "2.0"\nsource = { registry = "https://pypi.org/simple" }\nnotes = """\nname = "smuggled"\n"""\n[[package]]\nname = "${"y".repeat(5000)}"\nversion = "1"\nsource = { registry = "https://pypi.org/simple" }\n`;
    // A multi-line string whose lines look like keys: the kept lines do not parse, and nothing is pinned.
    expect(readUvLock((p) => (p === "uv.lock" ? text : undefined))).toEqual({ constraints: [], notes: [expect.stringContaining("uv.lock is not valid TOML")] });
    const clean = `${generateLock(2, 1)}\n[[package]]\nname = "${"y".repeat(5000)}"\nversion = "1"\nsource = { registry = "https://pypi.org/simple" }\n`;
    expect(readUvLock((p) => (p === "uv.lock" ? clean : undefined))).toEqual({ constraints: ["pkg-0==1.0", "pkg-1==1.1"], notes: [] });
  });
});

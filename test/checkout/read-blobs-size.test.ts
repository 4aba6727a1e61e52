/**
 * Issue 23: planning files of a bridge (or CLI) repository come from the git
 * mirror with `git cat-file --batch`, which held each file whole in memory
 * before planning's 256 KiB check. Now the sizes are asked first and an
 * oversized file is a config error naming it, never read.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readBlobs } from "../../runner/src/checkout/read-blobs.js";
import { MAX_PLANNING_FILE_BYTES, planFromRepoFiles } from "../../src/builds/plan-from-repo-files.js";
import { RepoConfigError } from "../../src/builds/config/repo-config-error.js";
import { CheckoutError } from "../../src/domain/checkout-error.js";

describe("planning files read from a git mirror", () => {
  let dir: string;
  let sha: string;
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir() };
  const git = (args: string[], input?: Buffer | string) => execFileSync("git", ["--git-dir", dir, ...args], { input, env, maxBuffer: 1 << 20 }).toString().trim();

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ponyci-bigblob-"));
    git(["init", "--bare", "-q"]);
    // 150 MB of zeros: a small object on disk, far more than planning should ever hold.
    const big = execFileSync("sh", ["-c", `head -c 150000000 /dev/zero | git --git-dir ${dir} hash-object -w --stdin`], { env }).toString().trim();
    const small = git(["hash-object", "-w", "--stdin"], 'python: ["3.11"]\n');
    const tree = git(["mktree"], `100644 blob ${big}\ttox.ini\n100644 blob ${small}\tsmall.txt\n`);
    sha = git(["-c", "user.name=t", "-c", "user.email=t@t", "commit-tree", tree, "-m", "big"]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a 150 MB tox.ini as a config error naming it, and still reads small files", async () => {
    const read = (paths: string[]) => readBlobs({ gitDir: dir, sha, paths, env, maxBytes: MAX_PLANNING_FILE_BYTES });
    const heapBefore = process.memoryUsage().arrayBuffers;
    const planned = planFromRepoFiles(read, () => "planned");
    await expect(planned).rejects.toThrow(RepoConfigError);
    await expect(planned).rejects.toThrow(/^tox\.ini is 150000000 bytes: Pony CI reads planning files of at most 256 KiB/);
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(50_000_000);
    expect((await read(["small.txt", "missing.txt"])).get("small.txt")).toBe('python: ["3.11"]\n');
  });

  it("gives up on a git that never answers, by its deadline, as a checkout error (a hung mirror never holds planning)", async () => {
    const bin = mkdtempSync(path.join(tmpdir(), "ponyci-hung-git-"));
    try {
      // A `git` that reads nothing and never ends: what a mirror on a hung disk looks like from here.
      writeFileSync(path.join(bin, "git"), "#!/bin/sh\nexec sleep 600\n");
      chmodSync(path.join(bin, "git"), 0o755);
      const hungEnv = { ...env, PATH: `${bin}:/usr/bin:/bin` };
      for (const maxBytes of [MAX_PLANNING_FILE_BYTES, undefined]) {
        const read = readBlobs({ gitDir: dir, sha, paths: ["small.txt"], env: hungEnv, maxBytes, timeoutMs: 300 });
        await expect(read).rejects.toThrow(CheckoutError);
        await expect(read).rejects.toThrow(/took longer than 300 ms/);
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

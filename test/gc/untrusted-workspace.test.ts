/**
 * Issue 23: a workspace belongs to the test user, so a test can replace the
 * files the host's collector reads there (`.git/objects/info/alternates`,
 * the job's `owner`) with a FIFO or a symlink. Opening a FIFO without
 * O_NONBLOCK blocked a libuv thread for ever and collection never ended
 * again; now the collector lists, decides and finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { collectGarbage } from "../../src/gc/collect-garbage.js";
import { createMirrorSource } from "../../runner/src/gc/list-mirror-items.js";
import { listJobDirs } from "../../runner/src/gc/list-job-dirs.js";
import { readUntrustedFile } from "../../src/util/read-untrusted-file.js";

/** Fails the test instead of hanging it when `work` never settles. */
async function within<T>(work: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms (a blocked read?)`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe("the collector and files test code could have replaced", () => {
  let dataDir: string;
  const fifos: string[] = [];
  const mkfifo = (path: string) => {
    execFileSync("mkfifo", [path]);
    fifos.push(path);
  };

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "ponyci-gc-fifo-"));
    mkdirSync(join(dataDir, "git", "mirrors", "app.git", "objects"), { recursive: true });
    mkdirSync(join(dataDir, "git", "used"), { recursive: true });
    // A live job (this process owns it) whose workspace's alternates file is now a FIFO.
    const live = join(dataDir, "work", "jobs", "live");
    mkdirSync(join(live, "workspace", ".git", "objects", "info"), { recursive: true });
    writeFileSync(join(live, "owner"), `${hostname()}:${process.pid}`);
    mkfifo(join(live, "workspace", ".git", "objects", "info", "alternates"));
    // Another live job's second tree: alternates a symlink to a host file.
    mkdirSync(join(live, "upstream-0", ".git", "objects", "info"), { recursive: true });
    symlinkSync("/etc/hostname", join(live, "upstream-0", ".git", "objects", "info", "alternates"));
    // A job whose owner file is a FIFO.
    const odd = join(dataDir, "work", "jobs", "odd");
    mkdirSync(odd, { recursive: true });
    mkfifo(join(odd, "owner"));
  });
  afterAll(() => {
    // Old code left a thread blocked in open(): a writer releases it.
    for (const fifo of fifos) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // no reader waiting: nothing to release
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists mirrors and job directories although a workspace's alternates and a job's owner are FIFOs", async () => {
    const mirrors = createMirrorSource({ gitDir: join(dataDir, "git"), workDir: join(dataDir, "work"), usedDir: join(dataDir, "git", "used") });
    const items = await within(mirrors.list());
    expect(items.map((item) => item.id)).toEqual([join(dataDir, "git", "mirrors", "app.git")]);
    // What the FIFO or the symlink would have said is not taken: the mirror is not held by them.
    expect(items[0]?.inUse).toBe(false);
    const jobs = await within(listJobDirs(join(dataDir, "work")));
    expect(jobs.map((job) => [job.path.split("/").at(-1), job.live]).sort()).toEqual([
      ["live", true],
      ["odd", true], // no readable owner: counted live for an hour after its last change, as a job being created
    ]);
  });

  it("reads only regular files, never through a symlink, at most maxBytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ponyci-untrusted-"));
    writeFileSync(join(dir, "plain"), "x".repeat(10_000));
    symlinkSync(join(dir, "plain"), join(dir, "link"));
    mkfifo(join(dir, "fifo"));
    expect(await within(readUntrustedFile(join(dir, "plain"), { maxBytes: 100 }))).toBe("x".repeat(100));
    expect(await within(readUntrustedFile(join(dir, "link"), { maxBytes: 100 }))).toBeUndefined();
    expect(await within(readUntrustedFile(join(dir, "fifo"), { maxBytes: 100 }))).toBeUndefined();
    expect(await within(readUntrustedFile(dir, { maxBytes: 100 }))).toBeUndefined();
    expect(await within(readUntrustedFile(join(dir, "missing"), { maxBytes: 100 }))).toBeUndefined();
  });

  it("finishes a collection when a source never answers, and says so", async () => {
    const report = await within(
      collectGarbage({ sources: [{ kind: "mirror", list: () => new Promise(() => undefined) }], budgetBytes: 1_000, listTimeoutMs: 200 }),
    );
    expect(report.errors).toEqual([expect.stringMatching(/could not list mirrors: .*no answer within/)]);
  });
});

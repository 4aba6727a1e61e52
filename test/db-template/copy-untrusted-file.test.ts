import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { copyUntrustedFile } from "../../runner/src/db-template/copy-untrusted-file.js";

// The SQLite template a container wrote is copied by the host: never through a
// link, never blocking on a FIFO, never past its bound.
describe("copyUntrustedFile", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ponyci-copy-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("copies a regular file within its bound and says how big it was", async () => {
    writeFileSync(path.join(dir, "db.sqlite3"), "SQLite format 3\0rows");
    expect(await copyUntrustedFile(path.join(dir, "db.sqlite3"), path.join(dir, "copy"), 1024)).toBe(20);
    expect(readFileSync(path.join(dir, "copy"), "utf8")).toBe("SQLite format 3\0rows");
  });

  it("gives undefined for a file that is not there", async () => {
    expect(await copyUntrustedFile(path.join(dir, "missing"), path.join(dir, "copy"), 1024)).toBeUndefined();
  });

  it("refuses a symbolic link (to a host file), a FIFO and a file over its bound, writing nothing", async () => {
    symlinkSync("/etc/hostname", path.join(dir, "link"));
    await expect(copyUntrustedFile(path.join(dir, "link"), path.join(dir, "copy"), 1024)).rejects.toThrow(/symbolic link: not copied/);
    execFileSync("mkfifo", [path.join(dir, "fifo")]);
    await expect(copyUntrustedFile(path.join(dir, "fifo"), path.join(dir, "copy"), 1024)).rejects.toThrow(/not a regular file: not copied/);
    writeFileSync(path.join(dir, "big"), Buffer.alloc(2048));
    await expect(copyUntrustedFile(path.join(dir, "big"), path.join(dir, "copy"), 1024)).rejects.toThrow(/larger than 1024 bytes/);
    expect(existsSync(path.join(dir, "copy"))).toBe(false);
  });
});

import { afterEach, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import { execa } from "execa";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openStore, STORE_FILE } from "../../src/store/open-store.js";
import { startFakeGitHubServer, type FakeGitHubServer } from "../support/fake-github-server.js";
import { exitWithin, killPonyCi, spawnPonyCi, type PonyCiProcess } from "./support/ponyci-process.js";
import { APP_ID, WEBHOOK_SECRET, testPrivateKey } from "../support/signed-webhooks.js";

/**
 * Issue 5: "the database file is locked or the disk is full: a clear error,
 * nothing half-written" — for the whole `ponyci serve` process. (The store's
 * own behaviour is tested in test/store/store-errors.test.ts.)
 */
describe("ponyci serve when its database cannot be used", () => {
  let github: FakeGitHubServer | undefined;
  let server: PonyCiProcess | undefined;
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    await killPonyCi(server);
    server = undefined;
    await github?.close();
    github = undefined;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const serve = async (dataDir: string) => {
    github ??= await startFakeGitHubServer();
    server = await spawnPonyCi({ dataDir, githubUrl: github.url, appId: APP_ID, privateKey: testPrivateKey(), webhookSecret: WEBHOOK_SECRET });
    return server;
  };
  const expectCleanFailure = (output: string) => {
    expect(output).toMatch(/^ponyci: /m);
    // A message, not a crash: no stack frames, no unhandled rejection.
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toMatch(/Unhandled|uncaught/i);
  };
  const freshDataDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ponyci-store-unavailable-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    openStore({ dataDir: dir }).close();
    return dir;
  };

  it.each([
    ["an exclusive lock (locking_mode EXCLUSIVE: not even readers get in)", "exclusive"],
    ["a write transaction held open (another writer)", "writer"],
  ] as const)("exits non-zero with a clear message when another process holds %s", async (_what, kind) => {
    const dataDir = freshDataDir();
    const holder = new Database(path.join(dataDir, STORE_FILE));
    cleanups.push(() => void holder.close());
    if (kind === "exclusive") holder.pragma("locking_mode = EXCLUSIVE");
    holder.exec(kind === "exclusive" ? "BEGIN EXCLUSIVE" : "BEGIN IMMEDIATE");
    holder.exec("CREATE TABLE IF NOT EXISTS lock_holder (x)");

    const child = await serve(dataDir);
    const exit = await exitWithin(child, 60_000);
    expect(exit).toMatchObject({ code: 2 });
    const output = child.output();
    expectCleanFailure(output);
    expect(output).toContain(`the database ${path.join(dataDir, STORE_FILE)} is locked by another connection`);
    expect(output).toContain("Is a second Pony CI process");

    // Nothing half-written: once the lock is gone the database opens, as it was.
    holder.exec("ROLLBACK");
    holder.close();
    const store = openStore({ dataDir });
    try {
      expect(store.listBuilds()).toEqual([]);
      expect(store.sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      store.close();
    }
  }, 120_000);

  it("exits non-zero with a clear message when the disk holding the data directory is full", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "ponyci-full-disk-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // A 1 MiB file system, filled up: the database cannot even get its first page.
    await execa("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dataDir]);
    cleanups.push(async () => void (await execa("umount", [dataDir], { reject: false })));
    writeFileSync(path.join(dataDir, "filler"), Buffer.alloc(0));
    await execa("dd", ["if=/dev/zero", `of=${path.join(dataDir, "filler")}`, "bs=64k"], { reject: false });

    const child = await serve(dataDir);
    const exit = await exitWithin(child, 60_000);
    expect(exit).toMatchObject({ code: 2 });
    const output = child.output();
    expectCleanFailure(output);
    expect(output).toMatch(/disk holding .*ponyci\.sqlite is full/);
    expect(output).toContain("Free some disk space");
  }, 120_000);
});

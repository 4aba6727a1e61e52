import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { openStore, STORE_FILE } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { StoreError } from "../../src/store/store-error.js";
import { makeTempDir } from "./temp-dir.js";

const cell = { python: "3.11", django: "5.2" };

/**
 * A second process holding an EXCLUSIVE transaction on the database until
 * its stdin closes. Resolves once the lock is held.
 */
async function holdExclusiveLock(path: string): Promise<ChildProcess> {
  const script = `
    const Database = require("better-sqlite3");
    const db = new Database(process.argv[1]);
    db.exec("BEGIN EXCLUSIVE");
    process.stdout.write("locked\\n");
    process.stdin.on("end", () => { db.exec("ROLLBACK"); db.close(); process.exit(0); });
    process.stdin.resume();
  `;
  const child = spawn(process.execPath, ["-e", script, path], { cwd: process.cwd(), stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolve, reject) => {
    lines.once("line", (line) => (line === "locked" ? resolve() : reject(new Error(line))));
    child.once("exit", (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

async function release(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.stdin?.end();
  await exited;
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("store errors: a full disk, a locked database", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store | undefined;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    store?.close();
    temp.remove();
  });

  it("reports a full disk clearly and writes nothing of the build or its jobs", () => {
    store = openStore({ dataDir: temp.dir });
    store.createBuild({ repo: "o/app", source: "cli", visibility: "public", sha: "a", event: "manual", jobs: [{ cell }] });
    // A real SQLITE_FULL: the file may not grow past a few more pages.
    const pages = store.sqlite.pragma("page_count", { simple: true }) as number;
    store.sqlite.pragma(`max_page_count = ${pages + 4}`);

    const huge = { blob: randomBytes(64 * 1024).toString("base64") };
    const error = catchError(() =>
      store?.createBuild({
        repo: "o/app",
        source: "cli",
        visibility: "public",
        sha: "b",
        event: "manual",
        jobs: [{ cell }, { cell, external: huge }],
      }),
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("full");
    expect((error as StoreError).message).toMatch(/Could not record the build: the disk holding .* is full.*Nothing was written/);
    expect(((error as StoreError).cause as { code: string }).code).toMatch(/^SQLITE_FULL/);

    expect(store.listBuilds().map((b) => b.sha)).toEqual(["a"]);
    expect(store.getJob("2-1")).toBeUndefined();
    // Still usable for small writes.
    expect(store.recordDelivery("d", "push")).toBe(true);
  });

  it("reports a database locked by another process, rolls back, and works once the lock is gone", async () => {
    store = openStore({ dataDir: temp.dir, busyTimeoutMs: 200 });
    store.createBuild({ repo: "o/app", source: "cli", visibility: "public", sha: "a", event: "manual", jobs: [{ cell }] });
    const holder = await holdExclusiveLock(join(temp.dir, STORE_FILE));
    try {
      const error = catchError(() =>
        store?.createBuild({ repo: "o/app", source: "cli", visibility: "public", sha: "b", event: "manual", jobs: [{ cell }] }),
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe("locked");
      expect((error as StoreError).message).toMatch(/locked by another connection \(waited 200 ms\).*Nothing was written/);
      expect(((error as StoreError).cause as { code: string }).code).toMatch(/^SQLITE_BUSY/);
    } finally {
      await release(holder);
    }
    expect(store.listBuilds().map((b) => b.sha)).toEqual(["a"]);
    expect(store.createBuild({ repo: "o/app", source: "cli", visibility: "public", sha: "b", event: "manual" }).build.id).toBe(2);
  });

  it("refuses to open a new database another process holds locked", async () => {
    const holder = await holdExclusiveLock(join(temp.dir, STORE_FILE));
    try {
      const error = catchError(() => openStore({ dataDir: temp.dir, busyTimeoutMs: 100 }).close());
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe("locked");
    } finally {
      await release(holder);
    }
    store = openStore({ dataDir: temp.dir });
    expect(store.listBuilds()).toEqual([]);
  });
});

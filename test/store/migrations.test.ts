import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import Database from "better-sqlite3";
import { silentLogger } from "../../src/domain/logger.js";
import { migrateSchema } from "../../src/store/migrate-schema.js";
import { migrations } from "../../src/store/migrations.js";
import { openStore, STORE_FILE } from "../../src/store/open-store.js";
import { StoreError } from "../../src/store/store-error.js";
import { makeTempDir } from "./temp-dir.js";

describe("store schema migrations", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());

  it("creates a fresh database at the newest version, in WAL mode with foreign keys on", () => {
    const store = openStore({ dataDir: join(temp.dir, "nested", "data") });
    try {
      expect(store.path).toBe(join(temp.dir, "nested", "data", STORE_FILE));
      expect(store.sqlite.pragma("user_version", { simple: true })).toBe(migrations.length);
      expect(store.sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(store.sqlite.pragma("foreign_keys", { simple: true })).toBe(1);
      const tables = store.sqlite
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => row.name);
      expect(tables).toEqual(
        expect.arrayContaining(["builds", "deliveries", "job_log_chunks", "job_logs", "jobs", "outbox", "queue_items", "test_results"]),
      );
    } finally {
      store.close();
    }
  });

  it("reopens an existing database keeping its rows", () => {
    const first = openStore({ dataDir: temp.dir });
    const { build } = first.createBuild({ repo: "o/app", source: "cli", visibility: "public", sha: "a1", event: "manual" });
    first.close();
    const second = openStore({ dataDir: temp.dir });
    try {
      expect(second.getBuild(build.id)?.sha).toBe("a1");
      expect(second.sqlite.pragma("user_version", { simple: true })).toBe(migrations.length);
    } finally {
      second.close();
    }
  });

  it("applies only the missing steps, and none of them when one fails", () => {
    const db = new Database(join(temp.dir, "x.sqlite"));
    try {
      const steps = ["CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y INTEGER)"];
      expect(migrateSchema(db, { path: "x", log: silentLogger, migrations: steps.slice(0, 1) })).toBe(1);
      db.prepare("INSERT INTO a VALUES (1)").run();
      expect(migrateSchema(db, { path: "x", log: silentLogger, migrations: steps })).toBe(2);
      expect(db.prepare("SELECT count(*) AS n FROM a").get()).toEqual({ n: 1 });

      const broken = [...steps, "CREATE TABLE c (z INTEGER)", "THIS IS NOT SQL"];
      expect(() => migrateSchema(db, { path: "x", log: silentLogger, migrations: broken })).toThrow(/syntax error/);
      expect(db.pragma("user_version", { simple: true })).toBe(2);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").get()).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it("refuses a database written by a newer Pony CI, and leaves it alone", () => {
    openStore({ dataDir: temp.dir }).close();
    const raw = new Database(join(temp.dir, STORE_FILE));
    raw.pragma(`user_version = ${migrations.length + 1}`);
    raw.close();

    let thrown: unknown;
    try {
      openStore({ dataDir: temp.dir }).close();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StoreError);
    expect((thrown as StoreError).code).toBe("too-new");
    expect((thrown as StoreError).message).toMatch(new RegExp(`version ${migrations.length + 1}.*newer Pony CI`));

    const check = new Database(join(temp.dir, STORE_FILE));
    expect(check.pragma("user_version", { simple: true })).toBe(migrations.length + 1);
    check.close();
  });
});

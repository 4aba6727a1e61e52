import { afterEach, describe, expect, it } from "@jest/globals";
import type Docker from "dockerode";
import { execa } from "execa";
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { hashMigrations } from "../../runner/src/db-template/hash-migrations.js";
import { createDbTemplateStore } from "../../runner/src/db-template/create-db-template-store.js";
import { dbTemplateKey } from "../../runner/src/db-template/db-template-key.js";
import { parseHarnessEvent } from "../../runner/src/cell/parse-harness-event.js";
import { dumpMysqlTemplate, MYSQL_DATABASE_NAME } from "../../runner/src/db-template/mysql-template.js";

/** The migrated-database template's key and store (issue 28): what changes the key, what is never read, what is kept. */
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "ponyci-migrations-"));
  dirs.push(root);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return root;
}

const base = {
  "shop/migrations/__init__.py": "",
  "shop/migrations/0001_initial.py": "operations = []\n",
  "shop/models.py": "class Product: pass\n",
  "blog/migrations/0001_initial.py": "operations = [1]\n",
};

describe("hashMigrations", () => {
  it("hashes every migrations/*.py file and only those: a model or test change keeps the hash, a migration change does not", async () => {
    const a = await hashMigrations(await project(base));
    expect(a).toEqual({ hash: expect.stringMatching(/^[0-9a-f]{64}$/), files: 3 });
    expect((await hashMigrations(await project({ ...base, "shop/models.py": "class Product: price = 1\n", "shop/tests.py": "x" }))).hash).toBe(a.hash);
    expect((await hashMigrations(await project({ ...base, "shop/migrations/0001_initial.py": "operations = [2]\n" }))).hash).not.toBe(a.hash);
    expect((await hashMigrations(await project({ ...base, "shop/migrations/0002_more.py": "" }))).hash).not.toBe(a.hash);
    // The same content under another app is another migration.
    expect((await hashMigrations(await project({ ...base, "blog/migrations/0001_initial.py": "operations = []\n", "shop/migrations/0001_initial.py": "operations = [1]\n" }))).hash).not.toBe(a.hash);
    // Virtualenvs, hidden directories and node_modules hold no project migrations.
    expect((await hashMigrations(await project({ ...base, ".venv/lib/x/migrations/0001.py": "a", "node_modules/m/migrations/0001.py": "b", "venv/migrations/0001.py": "c" }))).hash).toBe(a.hash);
  });

  it("a checkout without migrations has no hash", async () => {
    expect(await hashMigrations(await project({ "manage.py": "", "app/models.py": "" }))).toEqual({ reason: "no migrations in the checkout" });
  });

  it("never follows a symbolic link (file or directory) out of the checkout, and a FIFO does not hang it", async () => {
    const outside = await project({ "secret/migrations/0001_secret.py": "SECRET = 1\n" });
    const root = await project(base);
    const plain = await hashMigrations(root);
    await symlink(path.join(outside, "secret/migrations/0001_secret.py"), path.join(root, "shop/migrations/0002_link.py"));
    await symlink(path.join(outside, "secret"), path.join(root, "linked"));
    expect(await hashMigrations(root)).toEqual(plain);
    await execa("mkfifo", [path.join(root, "shop/migrations/0003_fifo.py")]);
    expect(await hashMigrations(root)).toEqual(plain);
  });

  it("over a bound there is no hash (a key over part of the migrations would be wrong)", async () => {
    const root = await project({ ...base, "shop/migrations/0002_big.py": "x".repeat(2000) });
    expect(await hashMigrations(root, { maxFiles: 2 })).toEqual({ reason: "more than 2 migration files" });
    expect((await hashMigrations(root, { maxFileBytes: 1000 })).reason).toMatch(/0002_big\.py: .* is larger than 1000 bytes: not read/);
    expect(await hashMigrations(root, { maxTotalBytes: 1000 })).toEqual({ reason: "migrations larger than 1000 bytes in all" });
  });
});

describe("dbTemplateKey", () => {
  const input = { environmentKey: "e1", migrations: "m1", engine: "postgresql" as const, service: { name: "postgres", image: "ponyci/postgres:15", args: [] }, scope: "https://example.com/a.git", env: { A: "1", B: "2" }, command: "python manage.py test" };
  it("changes with every input, and not with the order of the variables", () => {
    const key = dbTemplateKey(input);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(dbTemplateKey({ ...input, env: { B: "2", A: "1" } })).toBe(key);
    const variants = [
      { environmentKey: "e2" }, { migrations: "m2" }, { engine: "sqlite" as const }, { engine: "mysql" as const }, { service: { ...input.service, image: "postgres:16" } },
      { service: { ...input.service, args: ["-c", "fsync=on"] } }, { scope: "https://example.com/b.git" }, { env: { A: "1", B: "3" } }, { command: "pytest" },
    ];
    for (const variant of variants) expect(dbTemplateKey({ ...input, ...variant })).not.toBe(key);
  });
});

describe("createDbTemplateStore", () => {
  it("keeps a file whole or not at all, finds it by key, refuses a key that is not one, and keeps the most recently used", async () => {
    const dir = await project({});
    const store = createDbTemplateStore({ dir, maxTemplates: 2 });
    const keys = ["a", "b", "c"].map((c) => c.repeat(64));
    await expect(store.keep(keys[0]!, "sqlite", async () => { throw new Error("dump failed"); })).rejects.toThrow("dump failed");
    // Nothing kept, and its lease given back.
    expect(await readdir(dir)).toEqual(["leases"]);
    expect(await readdir(path.join(dir, "leases"))).toEqual([]);
    expect(await store.find(keys[0]!, "sqlite")).toBeUndefined();
    await expect(store.find("../x", "sqlite")).rejects.toThrow("not a template key");
    for (const [i, key] of keys.entries()) {
      const file = await store.keep(key, i === 1 ? "postgresql" : i === 2 ? "mysql" : "sqlite", (tmp) => writeFile(tmp, key));
      await utimes(file, new Date(1000 * (i + 1)), new Date(1000 * (i + 1)));
      if (i === 1) await (await store.find(keys[0]!, "sqlite"))!.release(); // used: now the most recent
    }
    expect((await readdir(dir)).sort()).toEqual([`${keys[0]}.sqlite3`, `${keys[2]}.sql`, "leases"]);
    // A template a cell is copying in (leased) is never pruned, even as the least recently used.
    const held = await store.find(keys[0]!, "sqlite");
    expect(held?.path).toBe(path.join(dir, `${keys[0]}.sqlite3`));
    await utimes(held!.path, new Date(500), new Date(500));
    await store.keep("d".repeat(64), "sqlite", (tmp) => writeFile(tmp, "d"));
    expect((await readdir(dir)).sort()).toEqual([`${keys[0]}.sqlite3`, `${"d".repeat(64)}.sqlite3`, "leases"]);
    await held!.release();
    expect(await readdir(path.join(dir, "leases"))).toEqual([]);
  });
});

describe("the harness's db_template event", () => {
  it("is read field by field", () => {
    expect(parseHarnessEvent('{"event":"db_template","state":"ready","engine":"sqlite"}')).toEqual({ event: "db_template", state: "ready" });
    expect(parseHarnessEvent('{"event":"db_template","state":"skipped","reason":"apps without migrations"}')).toEqual({ event: "db_template", state: "skipped", reason: "apps without migrations" });
    expect(parseHarnessEvent('{"event":"db_template","state":"/etc/passwd"}')).toBeUndefined();
    expect(parseHarnessEvent('{"event":"db_template","state":"restored","migrate":"skipped"}')).toEqual({ event: "db_template", state: "restored", migrate: "skipped" });
    expect(parseHarnessEvent('{"event":"db_template","state":"restored","migrate":"maybe"}')).toBeUndefined();
    expect(parseHarnessEvent('{"event":"db_template","state":"ready","engine":"mysql","database":"test_ponyci"}')).toEqual({ event: "db_template", state: "ready", database: "test_ponyci" });
    expect(parseHarnessEvent(`{"event":"db_template","state":"ready","database":"${"x".repeat(65)}"}`)).toEqual({ event: "db_template", state: "ready" });
  });

  it("names a MariaDB database the runner dumps only when it is a plain name: never an option, a path or a list", async () => {
    expect(MYSQL_DATABASE_NAME.test("test_ponyci")).toBe(true);
    const dir = await project({});
    // Refused before anything runs: no Docker call is made (the client here has none).
    for (const hostile of ["--all-databases", "-A", "mysql test", "../x", "a;b", "a`b", "", "test\nx"]) {
      await expect(dumpMysqlTemplate({} as Docker, "none", hostile, path.join(dir, "dump.sql"), 1000)).rejects.toThrow("the harness named no usable test database");
    }
    expect(await readdir(dir)).toEqual([]);
  });
});

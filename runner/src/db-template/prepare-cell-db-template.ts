import type Docker from "dockerode";
import { execa } from "execa";
import { chmod, copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DatabaseName, ServiceSpec } from "../../../src/domain/database.js";
import { describeError } from "../../../src/domain/errors.js";
import { SYSTEM_PATH } from "../../../src/domain/host-python.js";
import { copyUntrustedFile } from "./copy-untrusted-file.js";
import type { DbTemplateStore } from "./create-db-template-store.js";
import { dbTemplateKey, type TemplateEngine } from "./db-template-key.js";
import { hashMigrations } from "./hash-migrations.js";
import { dumpMysqlTemplate, restoreMysqlTemplate } from "./mysql-template.js";
import { dumpPostgresTemplate, restorePostgresTemplate } from "./postgres-template.js";

/** Where the test container sees the template directory (read-only) and its SQLite output directory. */
const CONTAINER_DIR = "/ponyci/dbtemplate";
const CONTAINER_OUT = "/ponyci/dbtemplate-out";
const SQLITE_FILE = "template.sqlite3";
/** Django's vendor for each database a cell can have. */
const ENGINES: Readonly<Record<DatabaseName, TemplateEngine>> = { sqlite: "sqlite", postgres: "postgresql", postgis: "postgresql", mariadb: "mysql" };
/** The name a kept dump gets in the service's input directory. */
const SERVICE_FILES: Readonly<Record<Exclude<TemplateEngine, "sqlite">, string>> = { postgresql: "template.pgdump", mysql: "template.sql" };
/** In the template directory once a server's template is loaded (the harness waits for it), or could not be. */
const RESTORED_MARK = "restored";
const UNRESTORED_MARK = "unrestored";
/** A kept template's size at most (a migrated, nearly empty database is a few MB). */
export const DEFAULT_MAX_TEMPLATE_BYTES = 256 * 1024 ** 2;

export interface PrepareCellDbTemplateOptions {
  docker: Docker;
  store: DbTemplateStore;
  /** The job's own directory: the template's mounts are made in it. */
  jobDir: string;
  /** The checkout: its migrations are hashed. */
  workspaceDir: string;
  environmentKey?: string;
  /** The cell's database; with a service, the running service container (its id and image). */
  database?: DatabaseName;
  service?: { id: string; image: string; spec: ServiceSpec; inputDir: string };
  scope: string;
  env: Readonly<Record<string, string>>;
  command?: string;
  /** uid:gid of the test user: owns the SQLite output directory. */
  user: string;
  maxBytes?: number;
  log: (line: string) => void;
}

/** What the cell's test container gets, and what to do with the harness's `db_template` event. */
export interface CellDbTemplate {
  mode: "capture" | "restore";
  env: Record<string, string>;
  binds: string[];
  /** The harness's `db_template` event (capture: "ready" → keep the copy, then ack; the harness waits). */
  onEvent(event: { state: string; reason?: string; database?: string; migrate?: string }): void;
  /** Resolves once any capture under way is kept or given up, and any restore under way is done. */
  settled(): Promise<void>;
}

/**
 * Migrate once per environment (issue 28): before the test container starts,
 * find the cell's migrated-database template by its key (dbTemplateKey: the
 * environment, the migrations' hash, the server, the project's variables). A
 * kept one is loaded into this cell's own server (PostgreSQL: pg_restore in the
 * service container as `ponyci_template`; MariaDB/MySQL: the dump loaded with
 * the service's own client, as the test database itself) or handed over
 * read-only (SQLite),
 * and the harness creates the test database from it ("restore"; a server's
 * template loads while the test container starts, and the harness waits for
 * the runner's `restored` mark, or `unrestored`: then it migrates). Otherwise
 * the harness announces the freshly migrated database before any test runs,
 * the runner keeps a copy and acks ("capture"; MariaDB/MySQL: the runner dumps
 * the test database the harness names, in the service container, while the
 * harness waits). Undefined when the cell has no such database, no
 * environment key, or no hashable migrations.
 * Never fails the cell: a template that cannot be used means migrating as usual.
 */
export async function prepareCellDbTemplate(options: PrepareCellDbTemplateOptions): Promise<CellDbTemplate | undefined> {
  const engine: TemplateEngine | undefined = options.database === undefined ? undefined : ENGINES[options.database];
  if (!engine || !options.environmentKey || (engine !== "sqlite" && !options.service)) return undefined;
  const migrations = await hashMigrations(options.workspaceDir);
  if (migrations.hash === undefined) {
    if (migrations.reason !== "no migrations in the checkout") options.log(`Test database template not used: ${migrations.reason}`);
    return undefined;
  }
  const key = dbTemplateKey({
    environmentKey: options.environmentKey,
    migrations: migrations.hash,
    engine,
    ...(options.service ? { service: { name: options.service.spec.name, image: options.service.image, args: options.service.spec.args } } : {}),
    scope: options.scope,
    env: options.env,
    ...(options.command ? { command: options.command } : {}),
  });
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_TEMPLATE_BYTES;
  const dir = path.join(options.jobDir, "dbtemplate");
  const out = path.join(options.jobDir, "dbtemplate-out");
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await mkdir(out, { recursive: true, mode: 0o700 });
  await execa("chown", [options.user, out], { extendEnv: false, env: { PATH: SYSTEM_PATH } });
  const env = { PONYCI_DB_TEMPLATE_ENGINE: engine, PONYCI_DB_TEMPLATE_DIR: CONTAINER_DIR, PONYCI_DB_TEMPLATE_OUT: CONTAINER_OUT };
  const binds = [`${dir}:${CONTAINER_DIR}:ro`, `${out}:${CONTAINER_OUT}`];
  const short = key.slice(0, 12);

  const kept = await options.store.find(key, engine);
  if (kept && engine !== "sqlite") {
    // A server's template loads while the test container starts (about as long as pg_restore takes): the
    // harness waits for RESTORED_MARK (or UNRESTORED_MARK: it migrates as usual) before it creates the test database.
    const service = options.service!;
    const t0 = Date.now();
    const restoring = (async () => {
      try {
        const file = SERVICE_FILES[engine];
        await copyReadable(kept.path, path.join(service.inputDir, file));
        await (engine === "postgresql" ? restorePostgresTemplate : restoreMysqlTemplate)(options.docker, service.id, file);
        await writeFile(path.join(dir, RESTORED_MARK), "", { mode: 0o644 });
        options.log(`Test database from template ${short} (${migrations.files} migration files; loaded in ${Date.now() - t0} ms, while the test container started)`);
      } catch (error) {
        await writeFile(path.join(dir, UNRESTORED_MARK), "", { mode: 0o644 }).catch(() => undefined);
        // A template that does not load is dropped: the next run keeps a new one instead of failing on it again.
        await rm(kept.path, { force: true }).catch(() => undefined);
        options.log(`Test database template ${short} not loaded (${describeError(error)}): migrating as usual; the next run keeps a new one`);
      } finally {
        await kept.release();
      }
    })();
    return { mode: "restore", env: { ...env, PONYCI_DB_TEMPLATE: "restore" }, binds, onEvent: onRestoredEvent(options.log), settled: () => restoring };
  }
  if (kept) {
    const t0 = Date.now();
    try {
      await copyReadable(kept.path, path.join(dir, SQLITE_FILE));
      options.log(`Test database from template ${short} (${migrations.files} migration files; loaded in ${Date.now() - t0} ms)`);
      return { mode: "restore", env: { ...env, PONYCI_DB_TEMPLATE: "restore" }, binds, onEvent: onRestoredEvent(options.log), settled: async () => undefined };
    } catch (error) {
      options.log(`Test database template ${short} not loaded (${describeError(error)}): migrating as usual`);
    } finally {
      await kept.release();
    }
  }

  let capture: Promise<void> | undefined;
  const ack = () => writeFile(path.join(dir, "ack"), "done\n", { mode: 0o644 });
  async function keep(database: string | undefined): Promise<void> {
    const t0 = Date.now();
    let size = 0;
    try {
      await options.store.keep(key, engine!, async (tmp) => {
        if (engine === "postgresql") size = await dumpPostgresTemplate(options.docker, options.service!.id, tmp, maxBytes);
        else if (engine === "mysql") size = await dumpMysqlTemplate(options.docker, options.service!.id, database ?? "", tmp, maxBytes);
        else {
          const copied = await copyUntrustedFile(path.join(out, SQLITE_FILE), tmp, maxBytes);
          if (copied === undefined) throw new Error("the harness wrote no SQLite template");
          size = copied;
        }
      });
      options.log(`Kept the migrated test database as template ${short} (${Math.ceil(size / 1024)} KiB in ${Date.now() - t0} ms): the next run with the same migrations and environment skips migrating`);
    } catch (error) {
      options.log(`Test database template ${short} not kept: ${describeError(error)}`);
    } finally {
      await ack().catch(() => undefined);
    }
  }
  return {
    mode: "capture",
    env: { ...env, PONYCI_DB_TEMPLATE: "capture" },
    binds,
    onEvent(event) {
      if (event.state === "skipped") options.log(`Test database template not kept: ${event.reason ?? "the harness skipped it"}`);
      else if (event.state === "ready" && !capture) capture = keep(event.database);
    },
    settled: async () => {
      await capture;
    },
  };
}

/** The harness's "restored" event, in the cell log. */
function onRestoredEvent(log: (line: string) => void): CellDbTemplate["onEvent"] {
  return (event) => {
    if (event.state === "restored") log(event.migrate === "skipped" ? "Test database template: Django's migrate skipped (every migration on disk is applied in it)" : "Test database template: Django's migrate ran on top of it");
  };
}

/** A copy the container's unprivileged user can read (the store keeps its files 0600). */
async function copyReadable(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  await chmod(to, 0o644);
}

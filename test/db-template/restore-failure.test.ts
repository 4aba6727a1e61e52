import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createDbTemplateStore } from "../../runner/src/db-template/create-db-template-store.js";
import { dbTemplateKey } from "../../runner/src/db-template/db-template-key.js";
import { hashMigrations } from "../../runner/src/db-template/hash-migrations.js";
import { prepareCellDbTemplate } from "../../runner/src/db-template/prepare-cell-db-template.js";
import type { ServiceSpec } from "../../src/domain/database.js";

/**
 * Issue 28: a kept PostgreSQL template that does not load is dropped so the
 * next run keeps a new one, but only when the cell's server is still up and
 * refused it. When the server is gone (the cell was cancelled while the
 * template loaded, Docker restarted), the failure says nothing about the
 * template: it is kept. Real Docker; the "server" is a plain container, so
 * pg_restore is missing in the running one and cannot run in the stopped one.
 */
const docker = createDocker();
const IMAGE = "ponyci/python:3.11";
const SPEC: ServiceSpec = { name: "postgres", args: [] };
let root: string;
const containers: Docker.Container[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-restore-failure-"));
});
afterAll(async () => {
  for (const container of containers) await container.remove({ force: true }).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function cellWithKeptTemplate(name: string, container: Docker.Container) {
  const dir = join(root, name);
  const workspaceDir = join(dir, "repo");
  await mkdir(join(workspaceDir, "shop", "migrations"), { recursive: true });
  await writeFile(join(workspaceDir, "shop", "migrations", "0001_initial.py"), "# a migration\n");
  const store = createDbTemplateStore({ dir: join(dir, "store") });
  await mkdir(join(dir, "store"), { recursive: true });
  const migrations = await hashMigrations(workspaceDir);
  const key = dbTemplateKey({ environmentKey: "env-1", migrations: migrations.hash!, engine: "postgresql", service: { name: SPEC.name, image: "ponyci/postgres:15", args: SPEC.args }, scope: "https://example.test/shop.git", env: {} });
  const keptPath = await store.keep(key, "postgresql", async (tmp) => writeFile(tmp, "a dump"));
  const inputDir = join(dir, "service-in");
  await mkdir(inputDir);
  const jobDir = join(dir, "job");
  await mkdir(jobDir);
  const logs: string[] = [];
  const template = await prepareCellDbTemplate({
    docker,
    store,
    jobDir,
    workspaceDir,
    environmentKey: "env-1",
    database: "postgres",
    service: { id: container.id, image: "ponyci/postgres:15", spec: SPEC, inputDir },
    scope: "https://example.test/shop.git",
    env: {},
    user: `${process.getuid!()}:${process.getgid!()}`,
    log: (line) => logs.push(line),
  });
  expect(template?.mode).toBe("restore");
  await template!.settled();
  return { logs, keptPath, marks: { unrestored: existsSync(join(jobDir, "dbtemplate", "unrestored")), restored: existsSync(join(jobDir, "dbtemplate", "restored")) } };
}

describe("a kept template that does not load", () => {
  it("is dropped when the cell's running server refused it", async () => {
    const running = await docker.createContainer({ Image: IMAGE, Cmd: ["sleep", "300"], HostConfig: { NetworkMode: "none" } });
    containers.push(running);
    await running.start();
    const { logs, keptPath, marks } = await cellWithKeptTemplate("refused", running);
    expect(marks).toEqual({ unrestored: true, restored: false });
    expect(existsSync(keptPath)).toBe(false);
    expect(logs.some((line) => /^Test database template [0-9a-f]{12} not loaded \(.*\): migrating as usual; the next run keeps a new one$/.test(line))).toBe(true);
  }, 60_000);

  it("is kept when the server is gone (a cancelled cell), and the harness still migrates", async () => {
    const stopped = await docker.createContainer({ Image: IMAGE, Cmd: ["sleep", "300"], HostConfig: { NetworkMode: "none" } });
    containers.push(stopped);
    const { logs, keptPath, marks } = await cellWithKeptTemplate("gone", stopped);
    expect(marks).toEqual({ unrestored: true, restored: false });
    expect(existsSync(keptPath)).toBe(true);
    expect(logs.some((line) => /^Test database template [0-9a-f]{12} not loaded \(.*\): the database server is gone; the template is kept$/.test(line))).toBe(true);
  }, 60_000);
});

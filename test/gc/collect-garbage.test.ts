import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type Docker from "dockerode";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { collectGarbage, type GcReport } from "../../src/gc/collect-garbage.js";
import { createRunnerSources, runnerLayout } from "../../runner/src/gc/create-runner-sources.js";
import { environmentStore } from "../../runner/src/environment/build-environment-dir.js";
import { recordUse } from "../../runner/src/gc/record-use.js";
import { createStoreSources } from "../../src/gc/create-store-sources.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";

const DAY = 24 * 3_600_000;
const BASE = "ponyci/python:3.11";

/**
 * An environment of the store (`<cache>/store/envs/<key>`): a venv holding
 * `kb` KiB of its own and, when given, a hard link to a file of the store's
 * unpacked wheels (which removing the environment does not free).
 */
function makeEnvironment(cacheDir: string, name: string, kb: number, shared?: string): { key: string; dir: string } {
  const store = environmentStore(cacheDir);
  const key = (name.repeat(64)).slice(0, 64);
  const dir = join(store.envs, key);
  mkdirSync(join(dir, "venv", "lib"), { recursive: true });
  writeFileSync(join(dir, "venv", "lib", "own"), randomBytes(kb * 1024));
  if (shared) linkSync(shared, join(dir, "venv", "lib", "shared"));
  // A second link to its own file (what a hostile .pth could make to hide bytes) still counts, once.
  linkSync(join(dir, "venv", "lib", "own"), join(dir, "venv", "lib", "own-again"));
  writeFileSync(join(dir, "env.json"), JSON.stringify({ version: 1, key, python: "3.11", django: "5.2.1", packages: [], resolver: "uv", compiled: true }));
  return { key, dir };
}

function touch(path: string, content: string | Buffer, at: number) {
  writeFileSync(path, content);
  utimesSync(path, new Date(at), new Date(at));
}

describe("collectGarbage over a real data directory, environments, Docker and the store", () => {
  const docker = createDocker();
  const now = Date.now();
  let dataDir: string;
  let store: Store;
  let storeNow = now;
  let busyContainer: Docker.Container;
  const envs: Record<string, { key: string; dir: string }> = {};
  const paths: Record<string, string> = {};
  let sources: ReturnType<typeof createRunnerSources>;
  let jobIds: { finished: string; running: string };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "ponyci-gc-"));
    const layout = runnerLayout(dataDir);
    // Environments: A is mounted by a container (in use), B old (part of it hard links into the unpacked
    // wheels, which removing B does not free), C recent; a crashed build's directory, an hour and more old.
    const envStore = environmentStore(layout.environmentsDir);
    mkdirSync(join(envStore.unpacked, "archive"), { recursive: true });
    paths.sharedWheelFile = join(envStore.unpacked, "archive", "django.py");
    writeFileSync(paths.sharedWheelFile, randomBytes(256 * 1024));
    utimesSync(envStore.unpacked, new Date(now - 3 * DAY), new Date(now - 3 * DAY));
    envs.a = makeEnvironment(layout.environmentsDir, "a", 64);
    envs.b = makeEnvironment(layout.environmentsDir, "b", 512, paths.sharedWheelFile);
    envs.c = makeEnvironment(layout.environmentsDir, "c", 64);
    await recordUse(layout.environmentUseDir, envs.a.key, new Date(now - 10 * DAY));
    await recordUse(layout.environmentUseDir, envs.b.key, new Date(now - 9 * DAY));
    await recordUse(layout.environmentUseDir, envs.c.key, new Date(now - 1 * DAY));
    paths.crashedBuild = join(envStore.envs, ".build-0123456789ab-cafe");
    mkdirSync(join(paths.crashedBuild, "venv"), { recursive: true });
    writeFileSync(join(paths.crashedBuild, "venv", "half"), randomBytes(32 * 1024));
    utimesSync(paths.crashedBuild, new Date(now - 2 * 3_600_000), new Date(now - 2 * 3_600_000));
    busyContainer = await docker.createContainer({ Image: BASE, Cmd: ["true"], HostConfig: { NetworkMode: "none", Binds: [`${join(envs.a.dir, "venv")}:/opt/venv:ro`] } });

    // Wheels: one old, one younger, one used a minute ago (within the grace period).
    const wheels = join(layout.environmentsDir, "wheels");
    mkdirSync(wheels, { recursive: true });
    paths.w1 = join(wheels, "old-1.0-py3-none-any.whl");
    paths.w2 = join(wheels, "young-1.0-py3-none-any.whl");
    paths.w3 = join(wheels, "fresh-1.0-py3-none-any.whl");
    touch(paths.w1, Buffer.alloc(300 * 1024, 1), now - 8 * DAY);
    touch(paths.w2, Buffer.alloc(300 * 1024, 2), now - DAY / 2);
    touch(paths.w3, Buffer.alloc(300 * 1024, 3), now - 60_000);

    // Mirrors: m1 unused for a week, m2 under its lock (a fetch), m3 borrowed by a running job's workspace.
    const mirrors = join(layout.gitDir, "mirrors");
    mkdirSync(mirrors, { recursive: true });
    for (const [name, age] of [["m1", 7], ["m2", 6], ["m3", 8]] as const) {
      paths[name] = join(mirrors, `o-${name}-0123456789ab.git`);
      execFileSync("git", ["init", "--quiet", "--bare", paths[name]]);
      writeFileSync(join(paths[name]!, "objects", "pack-blob"), Buffer.alloc(200 * 1024, 7));
      utimesSync(paths[name]!, new Date(now - age * DAY), new Date(now - age * DAY));
    }
    mkdirSync(`${paths.m2}.lock`);

    // Workspaces: one of a dead process of this host (a crash), one of this (live) process.
    const jobs = join(layout.workDir, "jobs");
    paths.crashed = join(jobs, "crashed-1");
    paths.live = join(jobs, "live-1");
    mkdirSync(join(paths.crashed, "workspace"), { recursive: true });
    writeFileSync(join(paths.crashed, "owner"), `${hostname()}:2147483646`);
    writeFileSync(join(paths.crashed, "workspace", "big"), Buffer.alloc(100 * 1024, 1));
    mkdirSync(join(paths.live, "workspace", ".git", "objects", "info"), { recursive: true });
    writeFileSync(join(paths.live, "owner"), `${hostname()}:${process.pid}`);
    writeFileSync(join(paths.live, "workspace", ".git", "objects", "info", "alternates"), `${join(paths.m3!, "objects")}\n`);

    // Store: the log of a job finished 5 days ago, the log of a running job, a delivery of 8 days ago.
    store = openStore({ dataDir, clock: { now: () => storeNow, sleep: async () => {} } });
    storeNow = now - 8 * DAY;
    store.recordDelivery("old-delivery", "push");
    storeNow = now;
    store.recordDelivery("new-delivery", "push");
    const { jobs: created } = store.createBuild({
      repo: "o/app", source: "cli", visibility: "public", sha: "a", event: "manual",
      jobs: [{ cell: { python: "3.11", django: "5.2" } }, { cell: { python: "3.13", django: "5.2" } }],
    });
    jobIds = { finished: created[0]!.id, running: created[1]!.id };
    store.recordJobStarted(jobIds.finished, now - 5 * DAY - 1000);
    // Random text: gzip cannot shrink it, so the log has a size worth collecting.
    store.appendLog(jobIds.finished, Array.from({ length: 200 }, () => Math.random().toString(36).repeat(10)));
    store.recordJobFinished({ jobId: jobIds.finished, conclusion: "success", at: now - 5 * DAY });
    store.recordJobStarted(jobIds.running, now);
    store.appendLog(jobIds.running, ["running…"]);

    sources = createRunnerSources({ docker, dataDir, now });
  }, 120_000);

  afterAll(async () => {
    await busyContainer?.remove({ force: true }).catch(() => undefined);
    store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const allSources = () => [...sources, ...createStoreSources(store)];
  const listed = async () => (await Promise.all(allSources().map((s) => s.list()))).flat();
  const envExists = (name: string) => existsSync(join(envs[name]!.dir, "venv"));

  it("lists every kind with what is in use marked, and a dry run removes nothing", async () => {
    const items = await listed();
    const byId = new Map(items.map((item) => [item.id, item]));
    expect(byId.get(envs.a!.key)?.inUse).toBe(true);
    expect(byId.get(envs.b!.key)?.inUse).toBe(false);
    // B's own half megabyte, not the file it shares with the unpacked wheels.
    expect(byId.get(envs.b!.key)!.bytes).toBeGreaterThanOrEqual(512 * 1024);
    expect(byId.get(envs.b!.key)!.bytes).toBeLessThan((512 + 256) * 1024);
    expect(byId.get(envs.c!.key)!.bytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(byId.get(envs.c!.key)!.bytes).toBeLessThan(2 * 64 * 1024);
    // The file B shares with the unpacked wheels is counted once, there: the budget sees all the store holds.
    const unpacked = environmentStore(runnerLayout(dataDir).environmentsDir).unpacked;
    expect(byId.get(unpacked)!.bytes).toBeGreaterThanOrEqual(256 * 1024);
    expect(byId.get(paths.crashedBuild!)).toMatchObject({ kind: "environment", garbage: true, inUse: false });
    expect(byId.get(paths.m2!)?.inUse).toBe(true);
    expect(byId.get(paths.m3!)?.inUse).toBe(true);
    expect(byId.get(paths.m1!)?.inUse).toBe(false);
    expect(byId.get(paths.crashed!)).toMatchObject({ kind: "workspace", garbage: true, inUse: false });
    expect(byId.get(paths.live!)).toMatchObject({ kind: "workspace", inUse: true });
    expect(byId.get(jobIds.running)?.inUse).toBe(true);
    expect(byId.get(jobIds.finished)?.inUse).toBe(false);

    const report = await collectGarbage({ sources: allSources(), budgetBytes: 0, dryRun: true, now: () => now });
    expect(report.kinds.environment.removed).toBe(4); // B, C, the crashed build and the unpacked wheels: A is in use
    expect(report.kinds.workspace.removed).toBe(1);
    for (const name of ["a", "b", "c"]) expect(envExists(name)).toBe(true);
    for (const path of Object.values(paths)) expect(existsSync(path)).toBe(true);
    expect(store.readLog(jobIds.finished).lines).toHaveLength(200);
  });

  it("over budget, removes least recently used first, garbage always, and never what is in use or fresh", async () => {
    const items = await listed();
    const bytesOf = (...ids: string[]) => ids.reduce((sum, id) => sum + items.find((i) => i.id === id)!.bytes, 0);
    const total = items.reduce((sum, item) => sum + item.bytes, 0);
    const garbage = items.filter((i) => i.garbage).reduce((sum, item) => sum + item.bytes, 0);
    // Just enough to need environment B (9 d), wheel w1 (8 d), mirror m1 (7 d) and the finished job's log (5 d) gone.
    const budget = total - garbage - bytesOf(envs.b!.key, paths.w1!, paths.m1!, jobIds.finished);
    const report: GcReport = await collectGarbage({ sources: allSources(), budgetBytes: budget, now: () => now });

    expect(report.errors).toEqual([]);
    expect(report.overBudget).toBe(false);
    expect(envExists("b")).toBe(false);
    expect(existsSync(paths.crashedBuild!)).toBe(false);
    // The file B shared is still there for the unpacked wheels (and whoever links it next).
    expect(existsSync(paths.sharedWheelFile!)).toBe(true);
    expect(existsSync(paths.w1!)).toBe(false);
    expect(existsSync(paths.m1!)).toBe(false);
    expect(store.readLog(jobIds.finished).lines).toEqual([]);
    expect(existsSync(paths.crashed!)).toBe(false);
    expect(store.recordDelivery("old-delivery", "push")).toBe(true); // forgotten
    expect(store.recordDelivery("new-delivery", "push")).toBe(false); // remembered

    // Kept: in use (environment A, the locked and the borrowed mirror, the live workspace, the running job's log), younger (C, w2), fresh (w3).
    expect(envExists("a")).toBe(true);
    expect(envExists("c")).toBe(true);
    for (const kept of [paths.w2!, paths.w3!, paths.m2!, paths.m3!, paths.live!]) expect(existsSync(kept)).toBe(true);
    expect(store.readLog(jobIds.running).lines).toEqual(["running…"]);

    expect(report.kinds.environment).toMatchObject({ removed: 2, inUse: 1 }); // B and the crashed build
    expect(report.kinds.wheel.removed).toBe(1);
    expect(report.kinds.mirror).toMatchObject({ removed: 1, inUse: 2 });
    expect(report.kinds.log).toMatchObject({ removed: 1, inUse: 1 });
    expect(report.kinds.workspace).toMatchObject({ removed: 1, inUse: 1 });
    expect(report.kinds.delivery.removed).toBe(1);
    expect(report.kinds.environment.freedBytes).toBe(bytesOf(envs.b!.key, paths.crashedBuild!));
  });

  it("with a budget of nothing, still keeps everything in use and fresh", async () => {
    const report = await collectGarbage({ sources: allSources(), budgetBytes: 0, now: () => now });
    expect(report.overBudget).toBe(true);
    expect(envExists("a")).toBe(true);
    expect(envExists("c")).toBe(false);
    expect(existsSync(environmentStore(runnerLayout(dataDir).environmentsDir).unpacked)).toBe(false);
    expect(existsSync(paths.w2!)).toBe(false);
    for (const kept of [paths.w3!, paths.m2!, paths.m3!, paths.live!]) expect(existsSync(kept)).toBe(true);
  });
});

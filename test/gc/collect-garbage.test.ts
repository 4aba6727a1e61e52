import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type Docker from "dockerode";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { LABEL_ENV_KEY, LABEL_MANAGED } from "../../runner/src/docker/labels.js";
import { collectGarbage, type GcReport } from "../../runner/src/gc/collect-garbage.js";
import { createRunnerSources, runnerLayout } from "../../runner/src/gc/create-runner-sources.js";
import { useName } from "../../runner/src/gc/list-image-items.js";
import { recordUse } from "../../runner/src/gc/record-use.js";
import { createStoreSources } from "../../src/gc/create-store-sources.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";

const DAY = 24 * 3_600_000;
/** This test's own image repository: the collector is pointed at it only, never at other tests' ponyci/env images. */
const REPO = `ponyci-gctest/env-${process.pid}`;
const BASE = "ponyci/python:3.11";

/** A small environment image of our own: the base plus `kb` KiB of random bytes, labelled like ponyci/env images. */
async function makeImage(docker: Docker, tag: string, kb: number): Promise<string> {
  const container = await docker.createContainer({ Image: BASE, Cmd: ["sh", "-c", `head -c ${kb * 1024} /dev/urandom > /blob`], HostConfig: { NetworkMode: "none" } });
  try {
    await container.start();
    await container.wait();
    await container.commit({ repo: REPO, tag, _body: { Labels: { [LABEL_MANAGED]: "1", [LABEL_ENV_KEY]: tag } } } as never);
  } finally {
    await container.remove({ force: true });
  }
  return `${REPO}:${tag}`;
}

function touch(path: string, content: string | Buffer, at: number) {
  writeFileSync(path, content);
  utimesSync(path, new Date(at), new Date(at));
}

describe("collectGarbage over a real data directory, Docker images and store", () => {
  const docker = createDocker();
  const now = Date.now();
  let dataDir: string;
  let store: Store;
  let storeNow = now;
  let busyContainer: Docker.Container;
  const images: Record<string, string> = {};
  const paths: Record<string, string> = {};
  let sources: ReturnType<typeof createRunnerSources>;
  let jobIds: { finished: string; running: string };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "ponyci-gc-"));
    const layout = runnerLayout(dataDir);
    // Images: A is used by a container (in use), B old, C recent.
    images.a = await makeImage(docker, "a", 64);
    images.b = await makeImage(docker, "b", 512);
    images.c = await makeImage(docker, "c", 64);
    await recordUse(layout.imageUseDir, useName(images.a), new Date(now - 10 * DAY));
    await recordUse(layout.imageUseDir, useName(images.b), new Date(now - 9 * DAY));
    await recordUse(layout.imageUseDir, useName(images.c), new Date(now - 1 * DAY));
    // The images were created a moment ago: their use marks are what is older. Backdate creation is impossible, so C is "recent" by its mark only.
    busyContainer = await docker.createContainer({ Image: images.a, Cmd: ["true"], HostConfig: { NetworkMode: "none" } });

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

    sources = createRunnerSources({ docker, dataDir, imageRepositories: [REPO] });
  }, 120_000);

  afterAll(async () => {
    await busyContainer?.remove({ force: true }).catch(() => undefined);
    for (const image of Object.values(images)) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
    store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const allSources = () => [...sources, ...createStoreSources(store)];
  const listed = async () => (await Promise.all(allSources().map((s) => s.list()))).flat();
  const imageExists = (image: string) => docker.getImage(image).inspect().then(() => true, () => false);

  it("lists every kind with what is in use marked, and a dry run removes nothing", async () => {
    const items = await listed();
    const byId = new Map(items.map((item) => [item.id, item]));
    expect(byId.get(images.a!)?.inUse).toBe(true);
    expect(byId.get(images.b!)?.inUse).toBe(false);
    expect(byId.get(images.b!)!.bytes).toBeGreaterThanOrEqual(512 * 1024);
    expect(byId.get(paths.m2!)?.inUse).toBe(true);
    expect(byId.get(paths.m3!)?.inUse).toBe(true);
    expect(byId.get(paths.m1!)?.inUse).toBe(false);
    expect(byId.get(paths.crashed!)).toMatchObject({ kind: "workspace", garbage: true, inUse: false });
    expect(byId.get(paths.live!)).toMatchObject({ kind: "workspace", inUse: true });
    expect(byId.get(jobIds.running)?.inUse).toBe(true);
    expect(byId.get(jobIds.finished)?.inUse).toBe(false);

    const report = await collectGarbage({ sources: allSources(), budgetBytes: 0, dryRun: true, now: () => now });
    expect(report.kinds.image.removed).toBe(2); // B and C: A is in use
    expect(report.kinds.workspace.removed).toBe(1);
    for (const image of Object.values(images)) expect(await imageExists(image)).toBe(true);
    for (const path of Object.values(paths)) expect(existsSync(path)).toBe(true);
    expect(store.readLog(jobIds.finished).lines).toHaveLength(200);
  });

  it("over budget, removes least recently used first, garbage always, and never what is in use or fresh", async () => {
    const items = await listed();
    const bytesOf = (...ids: string[]) => ids.reduce((sum, id) => sum + items.find((i) => i.id === id)!.bytes, 0);
    const total = items.reduce((sum, item) => sum + item.bytes, 0);
    const garbage = items.filter((i) => i.garbage).reduce((sum, item) => sum + item.bytes, 0);
    // Just enough to need image B (9 d), wheel w1 (8 d), mirror m1 (7 d) and the finished job's log (5 d) gone.
    const budget = total - garbage - bytesOf(images.b!, paths.w1!, paths.m1!, jobIds.finished);
    const report: GcReport = await collectGarbage({ sources: allSources(), budgetBytes: budget, now: () => now });

    expect(report.errors).toEqual([]);
    expect(report.overBudget).toBe(false);
    expect(await imageExists(images.b!)).toBe(false);
    expect(existsSync(paths.w1!)).toBe(false);
    expect(existsSync(paths.m1!)).toBe(false);
    expect(store.readLog(jobIds.finished).lines).toEqual([]);
    expect(existsSync(paths.crashed!)).toBe(false);
    expect(store.recordDelivery("old-delivery", "push")).toBe(true); // forgotten
    expect(store.recordDelivery("new-delivery", "push")).toBe(false); // remembered

    // Kept: in use (image A, the locked and the borrowed mirror, the live workspace, the running job's log), younger (C, w2), fresh (w3).
    expect(await imageExists(images.a!)).toBe(true);
    expect(await imageExists(images.c!)).toBe(true);
    for (const kept of [paths.w2!, paths.w3!, paths.m2!, paths.m3!, paths.live!]) expect(existsSync(kept)).toBe(true);
    expect(store.readLog(jobIds.running).lines).toEqual(["running…"]);

    expect(report.kinds.image).toMatchObject({ removed: 1, inUse: 1 });
    expect(report.kinds.wheel.removed).toBe(1);
    expect(report.kinds.mirror).toMatchObject({ removed: 1, inUse: 2 });
    expect(report.kinds.log).toMatchObject({ removed: 1, inUse: 1 });
    expect(report.kinds.workspace).toMatchObject({ removed: 1, inUse: 1 });
    expect(report.kinds.delivery.removed).toBe(1);
    expect(report.kinds.image.freedBytes).toBe(bytesOf(images.b!));
  });

  it("with a budget of nothing, still keeps everything in use and fresh", async () => {
    const report = await collectGarbage({ sources: allSources(), budgetBytes: 0, now: () => now });
    expect(report.overBudget).toBe(true);
    expect(await imageExists(images.a!)).toBe(true);
    expect(await imageExists(images.c!)).toBe(false);
    expect(existsSync(paths.w2!)).toBe(false);
    for (const kept of [paths.w3!, paths.m2!, paths.m3!, paths.live!]) expect(existsSync(kept)).toBe(true);
  });
});

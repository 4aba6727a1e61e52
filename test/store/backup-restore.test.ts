/**
 * Day two (issue 27): `ponyci backup FILE` while a build runs, then the
 * documented restore (stop, copy FILE to <data dir>/ponyci.sqlite, start):
 * the restored server serves the same build, the cell finished at backup
 * time keeps its verdict, and the cells queued or running then run again
 * and conclude. What happened after the backup is not in it (a snapshot).
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fakeGitHub, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { createSteeredRunner } from "../support/steered-runner.js";
import { backupCommand } from "../../src/cli/backup-command.js";
import { STORE_FILE } from "../../src/store/open-store.js";
import type { RunningServer } from "../../src/server/start-server.js";

describe("backup and restore", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ponyci-backup-"));
  const servers: RunningServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop({ graceMs: 200 }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("a backup taken during a build restores into a server that serves the same build, and every cell concludes", async () => {
    fakeGitHub();
    const repo = await createFixtureRepo("django-pass");
    const steeredA = createSteeredRunner();
    const settingsA = testServerSettings({ PONYCI_CONCURRENCY: "1" });
    // A short lease: the restored server takes back the cell that was running at backup time once its lease ran out.
    const a = await startTestServer({ runner: steeredA.runner, settings: settingsA, queueOptions: { leaseMs: 2_000 } });
    servers.push(a);
    const submitted = a.ponyci.builds.submit({ source: "bridge", repo: { name: "backed-up", cloneUrl: repo.dir, visibility: "public" }, sha: repo.sha, branch: "main", event: "post-receive" });
    await submitted?.planned;
    const buildId = submitted?.build.id ?? 0;
    const jobs = a.ponyci.store.listJobs(buildId);
    expect(jobs.length).toBeGreaterThan(2);
    // One cell finishes, the next one runs: the backup sees finished, running and queued cells.
    const first = await waitFor(() => steeredA.running()[0], 60_000, "the first cell");
    first.finish();
    const second = await waitFor(() => steeredA.running().find((cell) => cell.jobId !== first.jobId && a.ponyci.store.getJob(cell.jobId)?.state === "running"), 60_000, "the second cell");
    await waitFor(() => a.ponyci.store.getJob(first.jobId)?.state === "finished" || undefined, 30_000, "the first cell's verdict");
    second.print("half-way");

    const file = path.join(dir, "ponyci-backup.sqlite");
    let said = "";
    expect(await backupCommand([file], { settings: settingsA, out: { write: (text) => void (said += text) } })).toBe(0);
    expect(said).toMatch(/^Backed up the store to .*ponyci-backup\.sqlite \(\d+\.\d MiB\)\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await expect(backupCommand([file], { settings: settingsA, out: { write: () => undefined } })).rejects.toThrow(/exists: choose a new file name/);
    // What the backup holds, read from the file itself.
    const copy = new Database(file, { readonly: true });
    const atBackup = new Map(copy.prepare<[number], { id: string; state: string }>("SELECT id, state FROM jobs WHERE build_id = ?").all(buildId).map((row) => [row.id, row.state]));
    copy.close();
    expect(atBackup.get(first.jobId)).toBe("finished");
    expect(atBackup.get(second.jobId)).toBe("running");
    expect([...atBackup.values()].sort()).toEqual(["finished", "running", ...Array(jobs.length - 2).fill("queued")].sort());

    // After the backup: the running cell finishes on A. The backup must not know.
    second.finish();
    await waitFor(() => a.ponyci.store.getJob(second.jobId)?.state === "finished" || undefined, 30_000, "the second cell on A");
    for (const cell of steeredA.running()) cell.finish();
    await a.stop({ graceMs: 200 });

    // The documented restore: a fresh data directory, the backup copied in as ponyci.sqlite.
    const steeredB = createSteeredRunner();
    const settingsB = testServerSettings({ PONYCI_CONCURRENCY: "1" });
    expect(existsSync(path.join(settingsB.dataDir, STORE_FILE))).toBe(false);
    copyFileSync(file, path.join(settingsB.dataDir, STORE_FILE));
    const b = await startTestServer({ runner: steeredB.runner, settings: settingsB, queueOptions: { leaseMs: 1_000 } });
    servers.push(b);
    const restored = b.ponyci.store.getBuild(buildId);
    expect(restored).toMatchObject({ id: buildId, repo: "backed-up", sha: repo.sha });
    expect(b.ponyci.store.listJobs(buildId).map((job) => job.id)).toEqual(jobs.map((job) => job.id));
    const page = await fetch(`http://127.0.0.1:${b.port}/builds/${buildId}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("backed-up");

    // The cells queued or running at backup time run again on B, and every one concludes.
    const ranOnB = new Set<string>();
    await waitFor(
      () => {
        for (const cell of steeredB.running()) {
          ranOnB.add(cell.jobId);
          cell.finish();
        }
        return b.ponyci.store.listJobs(buildId).every((job) => job.state === "finished") || undefined;
      },
      90_000,
      "every cell to conclude on the restored server",
    );
    expect([...ranOnB].sort()).toEqual([...atBackup].filter(([, state]) => state !== "finished").map(([id]) => id).sort());
    expect(b.ponyci.store.listJobs(buildId).every((job) => job.conclusion === "success")).toBe(true);
  }, 180_000);
});

import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { gcCommand } from "../../src/cli/gc-command.js";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createRunnerSources, runnerLayout } from "../../runner/src/gc/create-runner-sources.js";
import { createStoreSources } from "../../src/gc/create-store-sources.js";
import { silentLogger } from "../../src/domain/logger.js";
import { openStore } from "../../src/store/open-store.js";
import { cliDataDir } from "../../src/cli/run-on-engine.js";
import { NoStoreError } from "../../src/store/open-existing-store.js";

describe("ponyci gc", () => {
  let dataDir: string;
  let wheel: string;
  let crashed: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "ponyci-gc-cli-"));
    openStore({ dataDir }).close();
    const layout = runnerLayout(dataDir);
    mkdirSync(join(layout.environmentsDir, "wheels"), { recursive: true });
    wheel = join(layout.environmentsDir, "wheels", "pkg-1.0-py3-none-any.whl");
    writeFileSync(wheel, Buffer.alloc(64 * 1024, 1));
    const old = new Date(Date.now() - 3 * 86_400_000);
    utimesSync(wheel, old, old);
    crashed = join(layout.workDir, "jobs", "job-1-abc");
    mkdirSync(crashed, { recursive: true });
    writeFileSync(join(crashed, "owner"), `${hostname()}:2147483646`);
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const run = async (argv: string[], budget: number) => {
    let text = "";
    const code = await gcCommand(argv, {
      settings: { dataDir, diskBudgetBytes: budget },
      out: { write: (t) => void (text += t) },
      log: silentLogger,
      sources: (stores) => [...createRunnerSources({ docker: createDocker(), dataDir }), ...stores.flatMap((store) => createStoreSources(store))],
    });
    return { code, text };
  };

  it("--dry-run prints what it would free per kind and removes nothing", async () => {
    const { code, text } = await run(["--dry-run"], 1024);
    expect(code).toBe(0);
    expect(text).toMatch(/dry run: nothing removed/);
    expect(text).toMatch(/wheels\s+1 \(64\.0 KiB\)\s+would free 1 \(64\.0 KiB\)/);
    expect(text).toMatch(/workspaces\s+1 .*would free 1/);
    expect(existsSync(wheel)).toBe(true);
    expect(existsSync(crashed)).toBe(true);
  });

  it("removes what is over budget and a crashed job's workspace, and says so", async () => {
    const { code, text } = await run([], 1024);
    expect(code).toBe(0);
    expect(text).toMatch(/wheels\s+1 \(64\.0 KiB\)\s+freed 1 \(64\.0 KiB\)/);
    expect(existsSync(wheel)).toBe(false);
    expect(existsSync(crashed)).toBe(false);
  });

  it("under budget keeps the wheel (the crashed workspace goes anyway)", async () => {
    const { text } = await run([], 10 * 1024 ** 3);
    expect(text).toMatch(/wheels\s+1 \(64\.0 KiB\)\s+freed 0/);
    expect(existsSync(wheel)).toBe(true);
    expect(existsSync(crashed)).toBe(false);
  });

  it("refuses a data directory without a store, creates none and removes nothing", async () => {
    const wrong = mkdtempSync(join(tmpdir(), "ponyci-gc-nostore-"));
    try {
      const layout = runnerLayout(wrong);
      const stray = join(layout.workDir, "jobs", "job-2-def");
      mkdirSync(stray, { recursive: true });
      writeFileSync(join(stray, "owner"), `${hostname()}:2147483646`);
      await expect(gcCommand([], { settings: { dataDir: wrong, diskBudgetBytes: 0 }, out: { write: () => undefined }, log: silentLogger })).rejects.toThrow(NoStoreError);
      expect(existsSync(join(wrong, "ponyci.sqlite"))).toBe(false);
      expect(existsSync(stray)).toBe(true);
    } finally {
      rmSync(wrong, { recursive: true, force: true });
    }
  });

  it("collects the job logs of `ponyci run`'s own store, and works on a data directory that has only that one", async () => {
    const cliOnly = mkdtempSync(join(tmpdir(), "ponyci-gc-cli-only-"));
    try {
      const store = openStore({ dataDir: cliDataDir(cliOnly) });
      const { jobs } = store.createBuild({ repo: "/src/app", source: "cli", visibility: "private", sha: "a", event: "manual", jobs: [{ cell: { python: "3.12", django: "5.2" } }] });
      const jobId = jobs[0]!.id;
      store.recordJobStarted(jobId, Date.now() - 3 * 86_400_000);
      // Random text: gzip cannot shrink it, so the log is worth collecting.
      store.appendLog(jobId, Array.from({ length: 200 }, () => Math.random().toString(36).repeat(10)));
      store.recordJobFinished({ jobId, conclusion: "success", at: Date.now() - 3 * 86_400_000 });
      store.close();
      let text = "";
      const code = await gcCommand([], { settings: { dataDir: cliOnly, diskBudgetBytes: 0 }, out: { write: (t) => void (text += t) }, log: silentLogger, sources: (stores) => stores.flatMap((s) => createStoreSources(s)) });
      expect(code).toBe(0);
      expect(text).toMatch(/logs?\s+1 .*freed 1/);
      // The server's store was not created on the way; the run's log is gone, its results kept.
      expect(existsSync(join(cliOnly, "ponyci.sqlite"))).toBe(false);
      const after = openStore({ dataDir: cliDataDir(cliOnly) });
      try {
        expect(after.readLog(jobId).lines).toEqual([]);
        expect(after.getJob(jobId)).toMatchObject({ state: "finished", conclusion: "success" });
      } finally {
        after.close();
      }
    } finally {
      rmSync(cliOnly, { recursive: true, force: true });
    }
  });
});

/**
 * Ctrl-C on `ponyci run` (the compiled CLI, a real cell in Docker): the
 * signal cancels the run through the engine's cancellation path (the build
 * service cancels the jobs, the queue aborts the running cell, the job
 * processor records its verdict), the table says so, and the CLI's store
 * keeps no job running.
 */
import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cliDataDir } from "../../src/cli/run-on-engine.js";
import { openStore } from "../../src/store/open-store.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { containersOf, TEST_DATA_DIR } from "../support/test-runner.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/src/cli/ponyci.js");

describe("ponyci run and SIGINT", () => {
  it("cancels the running cell, prints it cancelled, exits 1, and leaves no job running in the CLI's store", async () => {
    const repo = await createFixtureRepo("django-slow");
    const child = execa("node", [CLI, "run", repo.dir, "-p", "3.11", "-d", "5.2"], { reject: false, env: { PONYCI_DATA_DIR: TEST_DATA_DIR, PONYCI_CONCURRENCY: "1" } });
    let said = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes("running tests") && !child.killed) child.kill("SIGINT");
    });
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("Cancelling: stopping running cells…");
    expect(result.stdout).toMatch(/Python 3\.11 · Django 5\.2\s+cancelled/);
    expect(result.stdout.trim().split("\n").at(-1)).toBe("0 of 1 cells passed");

    const store = openStore({ dataDir: cliDataDir(TEST_DATA_DIR) });
    try {
      const [build] = store.findBuilds({ repo: repo.dir, sha: repo.sha });
      const jobs = store.listJobs(build?.id ?? 0);
      expect(jobs.map((job) => [job.state, job.conclusion])).toEqual([["cancelled", "cancelled"]]);
      expect(await containersOf(jobs[0]?.id ?? "")).toEqual([]);
    } finally {
      store.close();
    }
  }, 300_000);
});

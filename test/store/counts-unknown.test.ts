/**
 * Issue 22, item 6: a passing command whose tests could not be read is
 * `neutral` with `countsUnknown`. The flag is stored with the job (migration
 * 6), so a finished build's dashboard, `ponyci show` and the "Pony CI" check
 * say "counts unknown" instead of "0 passed" beside the neutral verdict.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { renderBuildDetails } from "../../src/cli/show-command.js";
import { emptyCounts } from "../../src/domain/events.js";
import { renderAggregateOutput } from "../../src/github/checks/render-aggregate-output.js";
import { openStore } from "../../src/store/open-store.js";
import type { BuildRecord } from "../../src/store/build-rows.js";
import { renderBuildPage } from "../../src/web/render-build-page.js";
import { COUNTS_UNKNOWN, renderCellPage } from "../../src/web/render-cell-page.js";
import { ANONYMOUS } from "../../src/web/viewer.js";
import { makeTempDir } from "./temp-dir.js";

describe("a cell whose test counts are unknown", () => {
  const temp = makeTempDir("ponyci-counts-unknown-");
  afterEach(() => temp.remove());

  function recordBuild() {
    const store = openStore({ dataDir: temp.dir });
    const { build } = store.createBuild({
      repo: "acme/filter", source: "cli", visibility: "public", sha: "abc1234def", event: "manual",
      jobs: [{ cell: { python: "3.12", django: "5.2" } }, { cell: { python: "3.13", django: "5.2" } }],
    });
    store.recordJobStarted("1-1", 1_000);
    store.recordJobFinished({ jobId: "1-1", conclusion: "neutral", counts: emptyCounts(), countsUnknown: true, at: 2_000 });
    store.recordJobStarted("1-2", 1_000);
    store.recordJobFinished({ jobId: "1-2", conclusion: "success", counts: { ...emptyCounts(), passed: 3, total: 3 }, at: 2_000 });
    return { store, build };
  }

  it("is stored, read back after a reopen, and cleared when the job runs again", () => {
    const first = recordBuild();
    expect(first.store.getJob("1-1")).toMatchObject({ conclusion: "neutral", countsUnknown: true });
    expect(first.store.getJob("1-2")?.countsUnknown).toBeUndefined();
    first.store.close();

    const store = openStore({ dataDir: temp.dir });
    expect(store.listJobs(first.build.id).map((job) => job.countsUnknown)).toEqual([true, undefined]);
    store.recordJobStarted("1-1", 3_000);
    expect(store.getJob("1-1")?.countsUnknown).toBeUndefined();
    store.recordJobFinished({ jobId: "1-1", conclusion: "success", counts: { ...emptyCounts(), passed: 2, total: 2 }, at: 4_000 });
    expect(store.getJob("1-1")?.countsUnknown).toBeUndefined();
    store.close();
  });

  it("the dashboard's build and cell pages, `ponyci show` and the Pony CI check say so, never '0 passed'", () => {
    const { store, build } = recordBuild();
    const jobs = store.listJobs(build.id);
    const stored = store.getBuild(build.id) as BuildRecord;
    store.close();
    const [unknown, known] = jobs;
    if (!unknown || !known) throw new Error("two jobs expected");

    const buildPage = renderBuildPage({ build: stored, jobs, failures: new Map(), canAct: false, now: 5_000, viewer: ANONYMOUS, csrf: "x" });
    const tile = (jobId: string) => /<a class="cell tile[^>]*>.*?<\/a>/s.exec(buildPage.slice(buildPage.indexOf(`data-job="${jobId}"`) - 40))?.[0] ?? "";
    expect(tile(unknown.id)).toContain("test counts unknown");
    expect(tile(unknown.id)).not.toContain("0 passed");
    expect(tile(known.id)).toContain("3 passed");

    const cellPage = (job: typeof unknown) =>
      renderCellPage({ build: stored, job, counts: job.counts, failures: [], slowest: [], log: { lines: [], droppedLines: 0 }, cursor: "1.0", live: false, canAct: false, viewer: ANONYMOUS, csrf: "x" });
    const countsLine = (page: string) => /<p class="counts" id="counts">(.*?)<\/p>/s.exec(page)?.[1];
    expect(countsLine(cellPage(unknown))).toBe(COUNTS_UNKNOWN);
    expect(countsLine(cellPage(known))).toContain("3 passed");

    const shown = renderBuildDetails(stored, [{ job: unknown, failures: [] }, { job: known, failures: [] }]).split("\n");
    expect(shown.find((line) => line.includes("Python 3.12"))).toMatch(/neutral {2}test counts unknown/);
    expect(shown.find((line) => line.includes("Python 3.13"))).toMatch(/success {2}3 passed/);

    const check = renderAggregateOutput({ cells: jobs, conclusion: "neutral", sha: "abc1234def", buildUrl: "https://ci.example/builds/1" });
    expect(check.summary).toContain("| ➖ passed, tests not read | counts unknown |");
    expect(check.summary).not.toContain("ignore_outcome)");
    expect(check.summary).not.toMatch(/no tests/);
  });
});

/**
 * Issue 10's planning bounds: how long planning a hostile commit takes next
 * to an ordinary one, and the longest the event loop was blocked meanwhile.
 * Each bomb must end as a config error in about the time of an ordinary plan
 * (it used to take minutes, or the whole heap): the target is a ratio to the
 * ordinary plan measured in the same run, plus a bound on the event loop.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { tmpdir } from "node:os";
import path from "node:path";
import { createBuildService, type CellJobPayload, type ReadRepoFiles } from "../src/builds/create-build-service.js";
import { createEmbeddedQueue } from "../src/queue/create-embedded-queue.js";
import { openStore } from "../src/store/open-store.js";
import type { BenchRow } from "./support/bench-row.js";
import { isMainModule } from "./support/is-main-module.js";
import { formatMs } from "./support/summarise-samples.js";

const ORDINARY: Record<string, string> = {
  ".github/ponyci.yml": 'python: ["3.11", "3.13"]\ndjango: ["4.2", "5.2"]\nexclude:\n  - { python: "3.13", django: "4.2" }\n',
  "tox.ini": "[tox]\nenvlist = py{311,313}-django{42,52}\n[testenv]\ndeps =\n  pytest\n  django42: Django>=4.2,<5\n",
};

const BOMBS: Record<string, Record<string, string>> = {
  "tox envlist of 10^8 names": { "tox.ini": "[tox]\nenvlist = py{0-100}{0-100}{0-100}{0-100}\n" },
  "8000 YAML aliases": { ".github/ponyci.yml": `a:\n  - &a x\n${"  - *a\n".repeat(8000)}` },
  "2000 include entries": { ".github/ponyci.yml": `python: ["3.11"]\ndjango: ["5.2"]\ninclude:\n${Array.from({ length: 2000 }, (_, i) => `  - { python: "3.11", django: "5.2", n: "${i}" }\n`).join("")}` },
  "100 MB config": { ".github/ponyci.yml": `# ${"x".repeat(100 * 1024 * 1024)}\n` },
};

export async function runPlanningBench(runs = 5): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ponyci-bench-planning-"));
  const store = openStore({ dataDir });
  const queue = createEmbeddedQueue<CellJobPayload>({ store, concurrency: 1 });
  let n = 0;
  const planOnce = async (files: Record<string, string>) => {
    const readFiles: ReadRepoFiles = async (_request, paths) => new Map(paths.map((p) => [p, files[p]]));
    const builds = createBuildService({ store, queue, readFiles, listeners: [] });
    const t0 = performance.now();
    const submitted = builds.submit({ source: "bridge", repo: { name: `bench/p${n++}`, cloneUrl: "/nowhere", visibility: "private" }, sha: "b".repeat(40), event: "push" });
    await submitted?.planned;
    return { ms: performance.now() - t0, state: submitted ? store.getBuild(submitted.build.id)?.planState : undefined };
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const rows: BenchRow[] = [];
  try {
    const ordinary: number[] = [];
    for (let i = 0; i < runs; i++) ordinary.push((await planOnce(ORDINARY)).ms);
    const base = median(ordinary);
    rows.push({ bench: "planning", metric: "ordinary commit (median)", value: formatMs(base) });
    for (const [name, files] of Object.entries(BOMBS)) {
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const samples: number[] = [];
      let state: string | undefined;
      for (let i = 0; i < runs; i++) {
        ({ ms: samples[i] = 0, state } = await planOnce(files));
        await new Promise((resolve) => setTimeout(resolve, 30)); // a macrotask turn: the delay monitor samples the block
      }
      delay.disable();
      const ms = median(samples);
      const ratio = ms / Math.max(base, 0.1);
      const blockedMs = delay.max / 1e6;
      rows.push({ bench: "planning", metric: `${name}: ${state} (median)`, value: `${formatMs(ms)} (${ratio.toFixed(1)}× ordinary)`, target: "≤ 200× ordinary", met: state === "config-error" && ratio <= 200 });
      rows.push({ bench: "planning", metric: `${name}: longest event-loop block`, value: formatMs(blockedMs), target: "≤ 1 s", met: blockedMs <= 1000 });
    }
  } finally {
    await queue.stop({ graceMs: 100 });
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

if (isMainModule(import.meta.url)) {
  const { renderBenchTable } = await import("./support/bench-row.js");
  console.log(renderBenchTable(await runPlanningBench()));
}

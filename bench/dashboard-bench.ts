/**
 * The dashboards (issue 16's benchmark), in-process against a real HTTP server
 * on a store holding 10,000 builds of 6 cells each:
 * 1. render time of the builds list (first page, an older page, filtered by
 *    repository and by branch) and of a build page: p50 and p95 of 200
 *    sequential requests each, measured at the client (HTTP included);
 * 2. SSE fan-out: 100 pages (a child process) following one running cell
 *    that prints 20,000 lines in batches, as the job processor does:
 *    lines per second delivered (to all pages) and the server's CPU time.
 *
 *   node dist/bench/dashboard-bench.js [builds] [clients]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import type { BuildRecord } from "../src/store/build-rows.js";
import type { JobRecord } from "../src/store/job-rows.js";
import { silentLogger } from "../src/domain/logger.js";
import { systemClock } from "../src/domain/clock.js";
import { createDashboardHandler } from "../src/web/create-dashboard-handler.js";
import { createLiveHub } from "../src/web/create-live-hub.js";
import { createAccessPolicy } from "../src/web/create-access-policy.js";
import { createSessionCodec } from "../src/web/session-codec.js";
import { NO_WEB_USERS } from "../src/web/web-users.js";
import type { BenchRow } from "./support/bench-row.js";
import { renderBenchTable } from "./support/bench-row.js";
import { isMainModule } from "./support/is-main-module.js";
import { formatMs } from "./support/summarise-samples.js";

const CELLS = [
  ["3.10", "4.2"],
  ["3.11", "4.2"],
  ["3.11", "5.1"],
  ["3.12", "5.1"],
  ["3.12", "5.2"],
  ["3.13", "5.2"],
] as const;

function seed(store: Store, builds: number): void {
  const repos = ["pony/app", "pony/lib", "pony/site", "intranet", "pony/private"];
  store.transact("seed builds", () => {
    for (let i = 0; i < builds; i++) {
      const repo = repos[i % repos.length] as string;
      const { jobs } = store.createBuild({
        repo,
        source: repo === "intranet" ? "bridge" : "github",
        visibility: repo === "intranet" || repo === "pony/private" ? "private" : "public",
        sha: i.toString(16).padStart(40, "0"),
        branch: i % 50 === 0 ? "release" : i % 3 === 0 ? `feature-${i % 40}` : "main",
        event: "push",
        trigger: { request: { source: "github", repo: { name: repo, cloneUrl: "/x", visibility: "public" }, sha: "0", event: "push" } },
        jobs: CELLS.map(([python, django]) => ({ cell: { python, django } })),
      });
      for (const [k, job] of jobs.entries()) {
        store.recordJobStarted(job.id, Date.now() - 60_000);
        store.recordJobFinished({ jobId: job.id, conclusion: (i + k) % 17 === 0 ? "failure" : "success", counts: { passed: 40, failed: 0, error: 0, skipped: 1, xfail: 0, xpass: 0, total: 41 } });
      }
    }
  });
}

function p(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

async function time(url: string, n: number): Promise<{ p50: number; p95: number; bytes: number }> {
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n + 5; i++) {
    const t0 = performance.now();
    const response = await fetch(url);
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    if (i >= 5) samples.push(performance.now() - t0);
    bytes = text.length;
  }
  return { p50: p(samples, 0.5), p95: p(samples, 0.95), bytes };
}

export async function runDashboardBench(options: { builds?: number; clients?: number; lines?: number } = {}): Promise<BenchRow[]> {
  const builds = options.builds ?? 10_000;
  const clients = options.clients ?? 100;
  const lines = options.lines ?? 20_000;
  const dir = mkdtempSync(path.join(tmpdir(), "ponyci-dashboard-bench-"));
  const store = openStore({ dataDir: dir, log: silentLogger });
  const rows: BenchRow[] = [];
  let server: http.Server | undefined;
  try {
    const t0 = performance.now();
    seed(store, builds);
    console.log(`seeded ${builds} builds × ${CELLS.length} cells in ${formatMs(performance.now() - t0)}`);
    const hub = createLiveHub({ logLimitBytes: 64 * 1024 ** 2 });
    const handler = createDashboardHandler({
      store,
      builds: { submit: () => undefined, cancelJobs: async () => undefined },
      hub,
      access: createAccessPolicy({ users: NO_WEB_USERS, clock: systemClock }),
      users: NO_WEB_USERS,
      sessions: createSessionCodec("bench".repeat(8)),
      publicUrl: "http://bench.invalid",
      secureCookies: false,
      now: () => Date.now(),
      log: silentLogger,
    });
    server = http.createServer((req, res) => void handler(req, res).then((handled) => handled || res.writeHead(404).end()));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    // 1. Pages.
    const [middle] = store.listBuilds({ before: Math.floor(builds / 2), visibility: "public", limit: 1 });
    const pages: Array<[string, string]> = [
      ["builds list, first page", "/"],
      ["builds list, page at the middle", `/?before=${Math.floor(builds / 2)}`],
      ["builds list, one repository", "/repos/pony%2Flib"],
      ["builds list, rare branch", "/?branch=release"],
      ["build page", `/builds/${middle?.id}`],
    ];
    for (const [name, url] of pages) {
      const result = await time(base + url, 200);
      console.log(`${name}: p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms (${result.bytes} bytes)`);
      rows.push({ bench: "dashboard", metric: `${name}: p95 (p50 ${result.p50.toFixed(1)} ms)`, value: `${result.p95.toFixed(1)} ms`, target: "≤ 50 ms", met: result.p95 <= 50 });
    }

    // 2. SSE fan-out of one running cell.
    const [build] = store.listBuilds({ repo: "pony/app", limit: 1 }) as [BuildRecord];
    const [job] = store.listJobs(build.id) as [JobRecord];
    store.recordJobStarted(job.id);
    const running = store.getJob(job.id) as JobRecord;
    hub.started?.(build, running);
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "sse-clients.js");
    const child = spawn(process.execPath, [script, `${base}/builds/${build.id}/jobs/${job.id}/events`, String(clients), String(lines)], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    const connected = new Promise<void>((resolve) => child.stdout.on("data", (chunk: Buffer) => ((output += chunk.toString()), output.includes("connected") && resolve())));
    const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
    await connected;
    await new Promise((r) => setTimeout(r, 200));
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    // Like a busy cell: 100 lines per event-loop turn, each line ~100 bytes.
    for (let i = 0; i < lines; i += 100) {
      for (let k = i; k < Math.min(lines, i + 100); k++) hub.logLine?.(build, running, `test_${k} (app.tests.SomeTests.test_${k}) ... ok ${"·".repeat(40)}`);
      await new Promise((r) => setImmediate(r));
    }
    const code = await exited;
    const wall = performance.now() - w0;
    const cpu = process.cpuUsage(cpu0);
    if (code !== 0) throw new Error(`the SSE clients exited with ${code}`);
    const delivered = (lines * clients) / (wall / 1000);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(`SSE: ${lines} lines to ${clients} clients in ${formatMs(wall)}: ${Math.round(delivered)} lines/s delivered, server CPU ${formatMs(cpuMs)} (${((cpuMs / wall) * 100).toFixed(0)}% of a core)`);
    rows.push({ bench: "dashboard", metric: `SSE fan-out, ${lines} lines × ${clients} pages: lines/s delivered`, value: `${Math.round(delivered)}` });
    rows.push({ bench: "dashboard", metric: "SSE fan-out: server CPU (per 1,000 lines × pages)", value: `${formatMs(cpuMs)} (${((cpuMs * 1000) / (lines * clients)).toFixed(3)} ms)` });
  } finally {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (isMainModule(import.meta.url)) {
  const [builds, clients] = process.argv.slice(2).map(Number);
  console.log(renderBenchTable(await runDashboardBench({ builds: builds || undefined, clients: clients || undefined })));
}

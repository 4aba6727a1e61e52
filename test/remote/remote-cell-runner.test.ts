/**
 * Scale-out over a real Redis, in one process: the server's remote cell
 * runner and two runner workers (scripted cells), one of them behind a TCP
 * proxy whose link the test cuts. The multi-process, network-namespace
 * version is test/remote/scale-out-netns.test.ts.
 */
import { createJobSpec } from "../../src/domain/job-spec.js";
import { createRedisSeal } from "../../src/domain/redis-seal.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import type { RunnerEvent } from "../../src/domain/events.js";
import { remoteNames, type EventEnvelope } from "../../src/domain/remote-protocol.js";
import { createRemoteCellRunner, type RemoteCellRunner } from "../../src/remote/create-remote-cell-runner.js";
import type { CellSpec } from "../../src/domain/cell-runner.js";
import { createRunnerWorker, type RunnerWorker } from "../../runner/src/remote/create-runner-worker.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { createScriptedCells, type ScriptedCells } from "./scripted-cells.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.remove();
});

let round = 0;
const seal = createRedisSeal("remote-cell-runner-test-key-0123456789");
const spec = (jobId: string, python = "3.11"): CellSpec => ({ jobId, source: { url: "https://github.com/o/r.git", sha: "a".repeat(40) }, ...createJobSpec({ python, django: "5.2" }) });

async function collect(events: AsyncIterable<RunnerEvent>): Promise<RunnerEvent[]> {
  const out: RunnerEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe("scale-out over Redis (one process)", () => {
  let prefix: string;
  let server: RemoteCellRunner;
  const workers: RunnerWorker[] = [];
  const proxies: TcpProxy[] = [];
  const runner = async (id: string, cells: ScriptedCells, options: { pythons?: string[]; via?: TcpProxy; concurrency?: number } = {}) => {
    const url = options.via ? `redis://127.0.0.1:${options.via.port}` : redis.url;
    const worker = createRunnerWorker({ url, seal, prefix, id, labels: [], pythons: options.pythons ?? ["3.11"], concurrency: options.concurrency ?? 1, cells: cells.cells, lockMs: 1_500, pollMs: 200 });
    workers.push(worker);
    await worker.start();
    return worker;
  };
  /** A server on a new prefix; `restart`: a new server process on the same one (the queues and notes stay in Redis). */
  const startServer = async ({ restart = false } = {}) => {
    if (!restart) prefix = `t${++round}`;
    server = createRemoteCellRunner({ url: redis.url, seal, prefix, routeOf: () => ({ repo: "o/r", pullRequest: false, labels: [] }), pollMs: 200, lockMs: 1_500, cancelGraceMs: 3_000 });
    await server.start();
  };
  afterEach(async () => {
    for (const proxy of proxies.splice(0)) await proxy.close();
    for (const worker of workers.splice(0)) await worker.stop({ graceMs: 0 });
    await server.stop();
  });

  it("spreads six cells over two runners, each at its concurrency, and relays every event in order", async () => {
    await startServer();
    const a = createScriptedCells();
    const b = createScriptedCells();
    await runner("runner-a", a);
    await runner("runner-b", b);
    const ids = ["c1", "c2", "c3", "c4", "c5", "c6"];
    const runs = ids.map((id) => collect(server.runCell(spec(id))));
    // Both runners busy with one cell each before any is released: the matrix spreads.
    await waitFor(() => a.ran.length === 1 && b.ran.length === 1);
    a.releaseAll();
    b.releaseAll();
    const results = await Promise.all(runs);
    for (const events of results) {
      expect(events.map((e) => e.type)).toEqual(["started", "log", "test", "finished"]);
      expect(events.at(-1)).toMatchObject({ type: "finished", conclusion: "success" });
    }
    expect([...a.ran, ...b.ran].sort()).toEqual(ids);
    expect(a.ran.length).toBeGreaterThan(0);
    expect(b.ran.length).toBeGreaterThan(0);
    const metrics = await server.metrics();
    expect(metrics.runners.map((r) => r.id).sort()).toEqual(["runner-a", "runner-b"]);
    expect(metrics.queueWait["cells-py3.11"]?.count).toBe(6);
  });

  it("sends a cell only to a runner that has its Python", async () => {
    await startServer();
    const old = createScriptedCells();
    const modern = createScriptedCells();
    old.releaseAll();
    modern.releaseAll();
    await runner("py311", old, { pythons: ["3.11"] });
    await runner("py313", modern, { pythons: ["3.13"] });
    await Promise.all([collect(server.runCell(spec("x1", "3.13"))), collect(server.runCell(spec("x2", "3.11"))), collect(server.runCell(spec("x3", "3.13")))]);
    expect(modern.ran.sort()).toEqual(["x1", "x3"]);
    expect(old.ran).toEqual(["x2"]);
  });

  it("retries on another runner when a runner's link is cut, notes it once, and drops the lost attempt's late events", async () => {
    await startServer();
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: redis.port });
    proxies.push(proxy);
    const doomed = createScriptedCells();
    await runner("doomed", doomed, { via: proxy });
    const first = collect(server.runCell(spec("lost")));
    await waitFor(() => doomed.ran.includes("lost"));
    // The survivor starts only now, so the cell was certainly on "doomed".
    const survivor = createScriptedCells();
    survivor.releaseAll();
    await runner("survivor", survivor);
    proxy.cut();
    const lostVerdict = (await first).at(-1);
    expect(lostVerdict).toMatchObject({ type: "finished", conclusion: "error", error: { message: "runner doomed was lost while running this cell" } });
    expect((lostVerdict as { infrastructureError?: Error }).infrastructureError?.name).toBe("InfrastructureError");

    // The server restarts before the retry (its memory is gone: the note is in Redis).
    await server.stop();
    await startServer({ restart: true });
    // The job processor retries: a new attempt, a new fence, on the survivor.
    const retry = server.runCell(spec("lost"));
    const events: RunnerEvent[] = [];
    const client = new Redis(redis.url);
    for await (const event of retry) {
      events.push(event);
      if (event.type === "started") {
        // A late event of the lost attempt (fence 1, signed: its runner holds the key) arrives now: it must not be heard.
        const late: EventEnvelope = { attemptId: "lost#1", jobId: "lost", fence: 1, runnerId: "doomed", event: { type: "finished", conclusion: "failure", counts: { passed: 0, failed: 1, error: 0, skipped: 0, xfail: 0, xpass: 0, total: 1 }, durationMs: 1, testDurationMs: 1 } };
        const text = JSON.stringify(late);
        await client.xadd(remoteNames(prefix).events, "*", "e", text, "s", seal.sign("event", text));
      }
    }
    // The note is said once: the verdict that ends the job removes it from Redis.
    const notesKey = remoteNames(prefix).notesKey("lost");
    for (let i = 0; i < 100 && (await client.exists(notesKey)) === 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await client.exists(notesKey)).toBe(0);
    await client.quit();
    const finished = events.filter((e) => e.type === "finished");
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ conclusion: "success", notes: ["Retried after runner doomed was lost."] });
    expect(survivor.ran).toEqual(["lost"]);
    expect((await server.metrics()).staleEvents).toBeGreaterThanOrEqual(1);
  });

  it("gets a cancel to the runner running the cell, which stops it", async () => {
    await startServer();
    const far = createScriptedCells();
    await runner("far", far);
    const controller = new AbortController();
    const run = collect(server.runCell(spec("to-cancel"), { signal: controller.signal }));
    await waitFor(() => far.ran.includes("to-cancel"));
    controller.abort();
    const events = await run;
    expect(far.aborted).toEqual(["to-cancel"]);
    expect(events.at(-1)).toMatchObject({ type: "finished", conclusion: "cancelled" });
  });

  it("drains on stop (SIGTERM): the running cell finishes within the grace, no new cell is taken there, the next goes to another runner", async () => {
    await startServer();
    const draining = createScriptedCells();
    // Two slots: a free one it could take the next cell with, were it not draining.
    const worker = await runner("draining", draining, { concurrency: 2 });
    const first = collect(server.runCell(spec("in-flight")));
    await waitFor(() => draining.ran.includes("in-flight"));
    const stopped = worker.stop({ graceMs: 10_000 });
    const second = collect(server.runCell(spec("after")));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(draining.ran).toEqual(["in-flight"]);
    draining.release("in-flight");
    expect((await first).at(-1)).toMatchObject({ type: "finished", conclusion: "success" });
    await stopped;
    expect(draining.aborted).toEqual([]);
    const other = createScriptedCells();
    other.releaseAll();
    await runner("other", other);
    expect((await second).at(-1)).toMatchObject({ type: "finished", conclusion: "success" });
    expect(other.ran).toEqual(["after"]);
    expect(draining.ran).toEqual(["in-flight"]);
  });

  it("cuts a cell short when the drain's grace runs out: an infrastructure error that names the runner, for the server to retry", async () => {
    await startServer();
    const slow = createScriptedCells();
    const worker = await runner("short", slow);
    const run = collect(server.runCell(spec("too-long")));
    await waitFor(() => slow.ran.includes("too-long"));
    await worker.stop({ graceMs: 200 });
    expect(slow.aborted).toEqual(["too-long"]);
    const verdict = (await run).at(-1);
    expect(verdict).toMatchObject({ type: "finished", conclusion: "error", error: { message: "runner short shut down while running this cell" } });
    expect((verdict as { infrastructureError?: Error }).infrastructureError?.name).toBe("InfrastructureError");
  });

  it("cancels a cell no runner took yet without waiting for one", async () => {
    await startServer();
    const controller = new AbortController();
    const run = collect(server.runCell(spec("nobody", "3.12"), { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect((await run).at(-1)).toMatchObject({ type: "finished", conclusion: "cancelled", error: { message: "cancelled before a runner took it" } });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

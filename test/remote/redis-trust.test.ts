/**
 * Redis inside the trust boundary only with the key (issue 23): whoever can
 * write to Redis but does not hold PONYCI_REDIS_SIGNING_KEY cannot change a
 * conclusion (a forged XADD), make a runner run a job (an injected BullMQ
 * job, a file:// url), nor read a clone token. A real Redis with a password.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { createJobSpec } from "../../src/domain/job-spec.js";
import type { RunnerEvent } from "../../src/domain/events.js";
import { createRedisSeal } from "../../src/domain/redis-seal.js";
import { cellQueueName, remoteNames, type CellDispatch, type EventEnvelope } from "../../src/domain/remote-protocol.js";
import { createRemoteCellRunner, type RemoteCellRunner } from "../../src/remote/create-remote-cell-runner.js";
import type { CellRunner, CellSpec } from "../../src/domain/cell-runner.js";
import { createRunnerWorker, type RunnerWorker } from "../../runner/src/remote/create-runner-worker.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { createScriptedCells } from "./scripted-cells.js";

const seal = createRedisSeal("redis-trust-test-signing-key-0123456789");
const TOKEN = "ghs_cloneTokenThatMustNotSitInRedis0123";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer({ password: "s3cret-pass" });
});
afterAll(async () => {
  await redis.remove();
});

let round = 0;
const spec = (jobId: string, url = "https://github.com/o/r.git", token?: string): CellSpec => ({ jobId, source: { url, sha: "a".repeat(40), token }, ...createJobSpec({ python: "3.11", django: "5.2" }) });

async function collect(events: AsyncIterable<RunnerEvent>): Promise<RunnerEvent[]> {
  const out: RunnerEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe("Redis without the signing key changes nothing", () => {
  let prefix: string;
  let server: RemoteCellRunner;
  const workers: RunnerWorker[] = [];
  const clients: Redis[] = [];
  const queues: Queue[] = [];
  const startServer = async () => {
    prefix = `trust${++round}`;
    server = createRemoteCellRunner({ url: redis.url, seal, prefix, routeOf: () => ({ repo: "o/r", pullRequest: false, labels: [] }), pollMs: 200, lockMs: 1_500 });
    await server.start();
  };
  const runner = async (cells: CellRunner, allowUrl?: (url: string) => boolean) => {
    const worker = createRunnerWorker({ url: redis.url, seal, prefix, id: `runner-${round}`, labels: [], pythons: ["3.11"], concurrency: 1, cells, lockMs: 1_500, pollMs: 100, allowUrl });
    workers.push(worker);
    await worker.start();
  };
  const connect = () => {
    const client = new Redis(redis.url);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop({ graceMs: 0 });
    for (const queue of queues.splice(0)) await queue.close();
    for (const client of clients.splice(0)) await client.quit();
    await server.stop();
  });

  it("ignores forged runner events (unsigned, or signed with another key) that name the current attempt and fence", async () => {
    await startServer();
    const cells = createScriptedCells();
    await runner(cells.cells);
    const run = collect(server.runCell(spec("forged")));
    await waitFor(() => cells.ran.includes("forged"));
    // The attacker reads the fence from Redis and forges the verdict of the very attempt the server waits for.
    const client = connect();
    const fence = Number(await client.get(remoteNames(prefix).fenceKey("forged")));
    const forged: EventEnvelope = { attemptId: `forged#${fence}`, jobId: "forged", fence, runnerId: `runner-${round}`, event: { type: "finished", conclusion: "failure", counts: { passed: 0, failed: 1, error: 0, skipped: 0, xfail: 0, xpass: 0, total: 1 }, durationMs: 1, testDurationMs: 1 } };
    const text = JSON.stringify(forged);
    await client.xadd(remoteNames(prefix).events, "*", "e", text);
    await client.xadd(remoteNames(prefix).events, "*", "e", text, "s", createRedisSeal("another-key-another-key-another-key").sign("event", text));
    // The real cell ends: its verdict, not the forged one, is the conclusion.
    cells.release("forged");
    const events = await run;
    const finished = events.filter((event) => event.type === "finished");
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ conclusion: "success" });
  });

  it("refuses a job injected into a cells queue: an unsigned one with a file:// url never runs", async () => {
    await startServer();
    const cells = createScriptedCells();
    cells.releaseAll();
    await runner(cells.cells);
    const queue = new Queue(cellQueueName("3.11"), { connection: connect(), prefix });
    queues.push(queue);
    const injected: CellDispatch<CellSpec> = { attemptId: "evil#1", jobId: "evil", fence: 1, spec: spec("evil", "file:///srv/git/private.git"), repo: "o/r", labels: [], queuedAt: Date.now() };
    // The old wire format (the dispatch itself) and the new one with a made-up signature.
    await queue.add("cell", injected, { jobId: "evil-plain" });
    await queue.add("cell", { body: JSON.stringify(injected), sig: "AAAA" }, { jobId: "evil-signed" });
    await waitFor(async () => (await queue.getJobState("evil-plain")) === "failed" && (await queue.getJobState("evil-signed")) === "failed");
    expect(cells.ran).toEqual([]);
    expect((await queue.getJob("evil-plain"))?.failedReason).toMatch(/unsigned or mis-signed/);
  });

  it("refuses a local path or file:// url even from the server, unless it is one of the bridge's configured repositories", async () => {
    await startServer();
    const cells = createScriptedCells();
    cells.releaseAll();
    await runner(cells.cells);
    for (const url of ["file:///srv/git/private.git", "/srv/git/private.git", "http://git.example.com/o/r.git"]) {
      const events = await collect(server.runCell(spec(`local-${url.length}`, url)));
      expect(events.at(-1)).toMatchObject({ type: "finished", conclusion: "error", error: { message: expect.stringMatching(/refused this cell: this runner does not check out/) } });
      expect((events.at(-1) as { infrastructureError?: Error }).infrastructureError).toBeUndefined();
    }
    expect(cells.ran).toEqual([]);
    // The server's own runner is given the bridge's urls: exactly those run.
    for (const worker of workers.splice(0)) await worker.stop({ graceMs: 0 });
    await runner(cells.cells, (url) => url === "/srv/git/private.git");
    expect((await collect(server.runCell(spec("bridge", "/srv/git/private.git")))).at(-1)).toMatchObject({ conclusion: "success" });
    expect((await collect(server.runCell(spec("other", "/srv/git/other.git")))).at(-1)).toMatchObject({ conclusion: "error" });
    expect(cells.ran).toEqual(["bridge"]);
  });

  it("keeps the clone token out of Redis: sealed in the dispatch, opened by the runner", async () => {
    await startServer();
    const seen: CellSpec[] = [];
    const held = createScriptedCells();
    const capturing: CellRunner = {
      runCell(cellSpec, options) {
        seen.push(cellSpec);
        return held.cells.runCell(cellSpec, options);
      },
    };
    await runner(capturing);
    const run = collect(server.runCell(spec("tokened", "https://github.com/o/r.git", TOKEN)));
    await waitFor(() => held.ran.includes("tokened"));
    // Everything in Redis now, as an attacker with read access would see it.
    const client = connect();
    const everything: string[] = [];
    for (const key of await client.keys(`${prefix}:*`)) {
      const type = await client.type(key);
      if (type === "hash") everything.push(JSON.stringify(await client.hgetall(key)));
      else if (type === "string") everything.push((await client.get(key)) ?? "");
      else if (type === "stream") everything.push(JSON.stringify(await client.xrange(key, "-", "+")));
      else if (type === "list") everything.push(JSON.stringify(await client.lrange(key, 0, -1)));
    }
    expect(everything.join("\n")).toContain("tokened");
    expect(everything.join("\n")).not.toContain(TOKEN);
    held.release("tokened");
    expect((await run).at(-1)).toMatchObject({ conclusion: "success" });
    expect(seen[0]?.source.token).toBe(TOKEN);
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

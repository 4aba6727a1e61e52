import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { createEmbeddedQueue } from "../../src/queue/create-embedded-queue.js";
import type { JobQueue, RecoveredJob } from "../../src/queue/job-queue.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { makeTempDir } from "../store/temp-dir.js";
import { aborted, createProbe } from "./probe.js";

/** What a process that died mid-job leaves in the table. */
function writeRunningJob(store: Store, row: { jobId: string; owner: string; leaseUntil: number; attempt?: number }): void {
  store.sqlite
    .prepare(
      `INSERT INTO queue_items (job_id, payload_json, state, attempt, available_at, owner, run_token, lease_until, enqueued_at)
       VALUES (?, '{"label":"left over"}', 'running', ?, 0, ?, 'old-token', ?, 0)`,
    )
    .run(row.jobId, row.attempt ?? 1, row.owner, row.leaseUntil);
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

describe("embedded queue: recovery after a crash", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  const queues: JobQueue<{ label: string }>[] = [];
  const makeQueue = (options: { leaseMs?: number } = {}) => {
    const queue = createEmbeddedQueue<{ label: string }>({
      store,
      concurrency: 2,
      maxAttempts: 3,
      backoff: () => 10,
      pollMs: 50,
      leaseMs: options.leaseMs ?? 60_000,
    });
    queues.push(queue);
    return queue;
  };
  beforeEach(() => {
    temp = makeTempDir("ponyci-queue-");
    store = openStore({ dataDir: temp.dir });
  });
  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.stop({ graceMs: 0, abortGraceMs: 1_000 });
    store.close();
    temp.remove();
  });

  it("takes back jobs whose owner's lease expired or whose process is gone; leaves live owners alone", async () => {
    const past = Date.now() - 1_000;
    const future = Date.now() + 60_000;
    writeRunningJob(store, { jobId: "expired", owner: "elsewhere:123:aaaa", leaseUntil: past });
    writeRunningJob(store, { jobId: "dead-pid", owner: `${hostname()}:${deadPid()}:bbbb`, leaseUntil: future });
    writeRunningJob(store, { jobId: "out-of-attempts", owner: "elsewhere:123:aaaa", leaseUntil: past, attempt: 3 });
    writeRunningJob(store, { jobId: "alive", owner: `${hostname()}:${process.pid}:cccc`, leaseUntil: future });
    writeRunningJob(store, { jobId: "cancelled-while-dying", owner: "elsewhere:123:aaaa", leaseUntil: past });
    store.sqlite.prepare("UPDATE queue_items SET cancel_requested = 1 WHERE job_id = 'cancelled-while-dying'").run();

    const queue = makeQueue();
    const recovered = await queue.recover();
    expect(recovered.map((job) => [job.id, job.attempt, job.requeued])).toEqual([
      ["expired", 2, true],
      ["dead-pid", 2, true],
      ["out-of-attempts", 4, false],
    ]);
    expect(recovered[0]?.payload).toEqual({ label: "left over" });
    expect(await queue.recover()).toEqual([]);

    const probe = createProbe();
    queue.start(async (job) => probe.record(`${job.id} ${job.attempt}`));
    await probe.until((events) => events.length === 2);
    expect(probe.events).toEqual(["expired 2", "dead-pid 2"]);
    await queue.stop();
    expect(await queue.counts()).toEqual({ queued: 0, running: 1 });
  });

  it("notices a dead owner while running (heartbeat) and reports it to onRecovered", async () => {
    writeRunningJob(store, { jobId: "stalled", owner: "elsewhere:1:dddd", leaseUntil: Date.now() - 1 });
    const queue = makeQueue({ leaseMs: 150 });
    const probe = createProbe();
    const seen: RecoveredJob<{ label: string }>[] = [];
    queue.start(async (job) => probe.record(`${job.id} ${job.attempt}`), {
      onRecovered: (jobs) => void seen.push(...jobs),
    });
    await probe.until((events) => events.includes("stalled 2"));
    expect(seen.map((job) => [job.id, job.attempt, job.requeued])).toEqual([["stalled", 2, true]]);
  });

  it("cancels a job running in another queue instance through the database", async () => {
    const runner = makeQueue({ leaseMs: 150 });
    const other = makeQueue();
    const probe = createProbe();
    await other.enqueue("remote", { label: "remote" });
    runner.start(async (_job, { signal }) => {
      probe.record("start");
      const reason = await aborted(signal);
      probe.record(`aborted ${(reason as Error).name}`);
      throw reason;
    });
    await probe.until((events) => events.includes("start"));
    expect(await other.cancel("remote")).toBe("requested");
    await probe.until((events) => events.includes("aborted CancelledError"));
    await runner.stop();
    expect(await runner.counts()).toEqual({ queued: 0, running: 0 });
  });

  it("keeps a job that was running when the process died (no stop), and runs it again after recover()", async () => {
    const crashed = createEmbeddedQueue<{ label: string }>({ store, concurrency: 1, leaseMs: 60_000, pollMs: 50 });
    const probe = createProbe();
    await crashed.enqueue("mid-cell", { label: "cell" });
    crashed.start(async (job, { signal }) => {
      probe.record(`crashed run ${job.attempt}`);
      await aborted(signal);
    });
    await probe.until((events) => events.includes("crashed run 1"));
    // The "process" dies: its owner row stays, with a lease nobody renews.
    store.sqlite.prepare("UPDATE queue_items SET owner = 'gone:1:eeee', lease_until = 0").run();
    const restarted = makeQueue();
    expect((await restarted.recover()).map((job) => [job.id, job.attempt])).toEqual([["mid-cell", 2]]);
    restarted.start(async (job) => probe.record(`restarted run ${job.attempt}`));
    await probe.until((events) => events.includes("restarted run 2"));
    await crashed.stop({ graceMs: 0, abortGraceMs: 1_000 });
  });
});

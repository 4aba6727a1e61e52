import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { createEmbeddedQueue } from "../../src/queue/create-embedded-queue.js";
import type { JobQueue } from "../../src/queue/job-queue.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { makeTempDir } from "../store/temp-dir.js";
import { createProbe } from "./probe.js";

/** `accepts`: queues sharing one database that each take only their own jobs (`ponyci run`s side by side). */
describe("embedded queue: accepts", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  const queues: JobQueue<{ label: string }>[] = [];
  const makeQueue = (prefix: string) => {
    const queue = createEmbeddedQueue<{ label: string }>({ store, concurrency: 2, pollMs: 20, accepts: (jobId) => jobId.startsWith(prefix) });
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

  it("takes only the jobs it accepts, even behind another's older job; the other's stays queued for its own queue", async () => {
    const a = makeQueue("a-");
    const b = makeQueue("b-");
    const probe = createProbe();
    await b.enqueue("b-1", { label: "b-1" });
    await a.enqueue("a-1", { label: "a-1" });
    a.start(async (job) => probe.record(`a ran ${job.id}`));
    await probe.until((events) => events.includes("a ran a-1"));
    // Polls of A pass by b-1, which waits for B.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(probe.events).toEqual(["a ran a-1"]);
    expect(await a.counts()).toEqual({ queued: 1, running: 0 });
    b.start(async (job) => probe.record(`b ran ${job.id}`));
    await probe.until((events) => events.includes("b ran b-1"));
    expect(probe.events).toEqual(["a ran a-1", "b ran b-1"]);
  });
});

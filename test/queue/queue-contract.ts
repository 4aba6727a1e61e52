/**
 * The contract every `JobQueue` implementation passes (the embedded queue
 * today, BullMQ on Redis later): call `describeQueueContract` from a test
 * file with a factory for the implementation under test.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { CancelledError, InfrastructureError, InterruptedError } from "../../src/domain/errors.js";
import type { JobFailure, JobQueue } from "../../src/queue/job-queue.js";
import { aborted, createGate, createProbe, type Gate } from "./probe.js";

export interface ContractPayload {
  label: string;
}

export interface QueueUnderTest {
  queue: JobQueue<ContractPayload>;
  /**
   * A restart: drops the connection of `queue` (already stopped by the test)
   * and returns a new queue, same options, over the same durable state.
   */
  reopen(): Promise<JobQueue<ContractPayload>>;
  /** Stops every queue it made, removes all state. */
  cleanup(): Promise<void>;
}

/**
 * Makes a queue over fresh, empty state. Retry delays must be short (tens of
 * milliseconds): the suite waits for retries for real.
 */
export type MakeQueue = (options: { concurrency: number; maxAttempts: number }) => Promise<QueueUnderTest>;

export function describeQueueContract(name: string, makeQueue: MakeQueue): void {
  describe(`JobQueue contract: ${name}`, () => {
    let subject: QueueUnderTest | undefined;
    const make = async (options: { concurrency?: number; maxAttempts?: number } = {}) => {
      subject = await makeQueue({ concurrency: options.concurrency ?? 1, maxAttempts: options.maxAttempts ?? 3 });
      return subject;
    };
    afterEach(async () => {
      await subject?.cleanup();
      subject = undefined;
    });

    it("runs jobs in the order they were enqueued, with their payload, as attempt 1", async () => {
      const { queue } = await make();
      const probe = createProbe();
      for (const label of ["a", "b", "c"]) expect(await queue.enqueue(`job-${label}`, { label })).toBe(true);
      queue.start(async (job) => probe.record(`${job.id}:${job.payload.label}:${job.attempt}`));
      await probe.until((events) => events.length === 3);
      expect(probe.events).toEqual(["job-a:a:1", "job-b:b:1", "job-c:c:1"]);
      expect(await queue.stop()).toEqual([]);
      expect(await queue.counts()).toEqual({ queued: 0, running: 0 });
    });

    it("runs a job enqueued `first` ahead of the jobs waiting (a merge group's cells)", async () => {
      const { queue } = await make();
      const probe = createProbe();
      for (const label of ["a", "b"]) await queue.enqueue(`job-${label}`, { label });
      expect(await queue.enqueue("job-urgent", { label: "urgent" }, { first: true })).toBe(true);
      expect(await queue.enqueue("job-urgent", { label: "again" }, { first: true })).toBe(false);
      await queue.enqueue("job-c", { label: "c" });
      queue.start(async (job) => probe.record(job.payload.label));
      await probe.until((events) => events.length === 4);
      expect(probe.events).toEqual(["urgent", "a", "b", "c"]);
      await queue.stop();
    });

    it("ignores a second enqueue of a job that is still waiting", async () => {
      const { queue } = await make();
      const probe = createProbe();
      expect(await queue.enqueue("dup", { label: "first" })).toBe(true);
      expect(await queue.enqueue("dup", { label: "second" })).toBe(false);
      queue.start(async (job) => probe.record(job.payload.label));
      await probe.until((events) => events.length === 1);
      await queue.enqueue("after", { label: "after" });
      await probe.until((events) => events.includes("after"));
      expect(probe.events).toEqual(["first", "after"]);
      await queue.stop();
    });

    it("never runs more jobs at once than its concurrency", async () => {
      const { queue } = await make({ concurrency: 2 });
      const probe = createProbe();
      const gates = new Map<string, Gate>();
      let active = 0;
      let mostActive = 0;
      for (let i = 1; i <= 5; i++) {
        gates.set(`j${i}`, createGate());
        await queue.enqueue(`j${i}`, { label: `j${i}` });
      }
      queue.start(async (job) => {
        active++;
        mostActive = Math.max(mostActive, active);
        probe.record(`start ${job.id}`);
        await gates.get(job.id)?.wait();
        active--;
        probe.record(`end ${job.id}`);
      });
      await probe.until((events) => events.filter((e) => e.startsWith("start")).length === 2);
      expect(await queue.counts()).toEqual({ queued: 3, running: 2 });
      for (let i = 1; i <= 5; i++) {
        await probe.until((events) => events.includes(`start j${i}`));
        gates.get(`j${i}`)?.open();
      }
      await probe.until((events) => events.filter((e) => e.startsWith("end")).length === 5);
      expect(mostActive).toBe(2);
      await queue.stop();
    });

    it("cancels a waiting job: it never runs", async () => {
      const { queue } = await make();
      const probe = createProbe();
      const gate = createGate();
      await queue.enqueue("a", { label: "a" });
      await queue.enqueue("b", { label: "b" });
      queue.start(async (job) => {
        probe.record(`start ${job.id}`);
        if (job.id === "a") await gate.wait();
      });
      await probe.until((events) => events.includes("start a"));
      expect(await queue.cancel("b")).toBe("removed");
      gate.open();
      await queue.enqueue("c", { label: "c" });
      await probe.until((events) => events.includes("start c"));
      expect(probe.events).toEqual(["start a", "start c"]);
      expect(await queue.cancel("b")).toBe("absent");
      await queue.stop();
    });

    it("cancels a running job by firing its signal with a CancelledError, and never retries it", async () => {
      const { queue } = await make();
      const probe = createProbe();
      const failures: JobFailure<ContractPayload>[] = [];
      await queue.enqueue("long", { label: "long" });
      queue.start(
        async (job, { signal }) => {
          probe.record(`start ${job.attempt}`);
          const reason = await aborted(signal);
          probe.record(`aborted ${(reason as Error).name}`);
          throw reason;
        },
        { onFailed: (failure) => (failures.push(failure), probe.record("failed")) },
      );
      await probe.until((events) => events.includes("start 1"));
      expect(await queue.cancel("long")).toBe("aborted");
      await probe.until((events) => events.includes("failed"));
      expect(probe.events).toEqual(["start 1", "aborted CancelledError", "failed"]);
      expect(failures.map((f) => [f.job.id, f.retrying, f.error instanceof CancelledError])).toEqual([["long", false, true]]);
      expect(await queue.counts()).toEqual({ queued: 0, running: 0 });
      await queue.stop();
    });

    it("retries an InfrastructureError with the attempt number, until it succeeds", async () => {
      const { queue } = await make({ maxAttempts: 3 });
      const probe = createProbe();
      const failures: JobFailure<ContractPayload>[] = [];
      await queue.enqueue("flaky", { label: "flaky" });
      queue.start(
        async (job) => {
          probe.record(`attempt ${job.attempt}`);
          if (job.attempt < 3) throw new InfrastructureError("Docker daemon restarted", { cause: new Error("ECONNRESET") });
          probe.record("done");
        },
        { onFailed: (failure) => void failures.push(failure) },
      );
      await probe.until((events) => events.includes("done"));
      expect(probe.events).toEqual(["attempt 1", "attempt 2", "attempt 3", "done"]);
      expect(failures.map((f) => [f.job.attempt, f.retrying])).toEqual([
        [1, true],
        [2, true],
      ]);
      expect((failures[0]?.error as Error).cause).toEqual(new Error("ECONNRESET"));
      await queue.stop();
    });

    it("gives up on an InfrastructureError after maxAttempts and reports the final failure", async () => {
      const { queue } = await make({ maxAttempts: 2 });
      const probe = createProbe();
      const failures: JobFailure<ContractPayload>[] = [];
      await queue.enqueue("broken", { label: "broken" });
      queue.start(
        async (job) => {
          probe.record(`attempt ${job.attempt}`);
          throw new InfrastructureError("environment build failed");
        },
        { onFailed: (failure) => (failures.push(failure), probe.record(`failed ${failure.retrying}`)) },
      );
      await probe.until((events) => events.includes("failed false"));
      expect(probe.events).toEqual(["attempt 1", "failed true", "attempt 2", "failed false"]);
      expect(failures[1]?.error).toBeInstanceOf(InfrastructureError);
      expect(await queue.counts()).toEqual({ queued: 0, running: 0 });
      await queue.stop();
    });

    it("never retries a CancelledError or an ordinary error", async () => {
      const { queue } = await make({ maxAttempts: 3 });
      const probe = createProbe();
      await queue.enqueue("cancelled", { label: "cancelled" });
      await queue.enqueue("bug", { label: "bug" });
      queue.start(
        async (job) => {
          probe.record(`${job.id} ${job.attempt}`);
          throw job.id === "cancelled" ? new CancelledError("superseded") : new TypeError("undefined is not a function");
        },
        { onFailed: (failure) => probe.record(`failed ${failure.job.id} ${failure.retrying}`) },
      );
      await probe.until((events) => events.includes("failed bug false"));
      await queue.enqueue("marker", { label: "marker" });
      await probe.until((events) => events.includes("marker 1"));
      expect(probe.events.filter((e) => !e.startsWith("marker") && !e.startsWith("failed marker"))).toEqual([
        "cancelled 1",
        "failed cancelled false",
        "bug 1",
        "failed bug false",
      ]);
      await queue.stop();
    });

    it("keeps queued jobs across a restart, in order", async () => {
      const first = await make();
      await first.queue.enqueue("x", { label: "x" });
      await first.queue.enqueue("y", { label: "y" });
      expect(await first.queue.stop()).toEqual([]);
      const queue = await first.reopen();
      const probe = createProbe();
      expect(await queue.counts()).toEqual({ queued: 2, running: 0 });
      queue.start(async (job) => probe.record(`${job.id}:${job.payload.label}:${job.attempt}`));
      await probe.until((events) => events.length === 2);
      expect(probe.events).toEqual(["x:x:1", "y:y:1"]);
      await queue.stop();
    });

    it("on stop, lets jobs finish within the grace period, then interrupts the rest and keeps them for the next start", async () => {
      const first = await make({ concurrency: 2 });
      const probe = createProbe();
      const quick = createGate();
      await first.queue.enqueue("quick", { label: "quick" });
      await first.queue.enqueue("slow", { label: "slow" });
      first.queue.start(async (job, { signal }) => {
        probe.record(`start ${job.id}`);
        if (job.id === "quick") return quick.wait().then(() => probe.record("quick done"));
        const reason = await aborted(signal);
        probe.record(`slow aborted ${(reason as Error).name}`);
        throw reason;
      });
      await probe.until((events) => events.includes("start quick") && events.includes("start slow"));
      const stopping = first.queue.stop({ graceMs: 300, abortGraceMs: 5_000 });
      quick.open();
      expect(await stopping).toEqual(["slow"]);
      expect(probe.events).toContain("quick done");
      expect(probe.events).toContain(`slow aborted ${new InterruptedError().name}`);

      const queue = await first.reopen();
      const again = createProbe();
      queue.start(async (job) => again.record(`${job.id} ${job.attempt}`));
      await again.until((events) => events.length === 1);
      expect(again.events).toEqual(["slow 1"]);
      await queue.stop();
    });
  });
}

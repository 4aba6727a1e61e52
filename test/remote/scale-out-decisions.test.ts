import { describe, expect, it } from "@jest/globals";
import { cellQueueName, queuesForRunner } from "../../src/domain/remote-protocol.js";
import { acceptEnvelope } from "../../src/remote/accept-envelope.js";
import { cellPriority } from "../../src/remote/cell-priority.js";
import { compareStreamIds } from "../../src/remote/compare-stream-ids.js";
import { parseEnvelope } from "../../src/remote/parse-envelope.js";
import { summariseWaits } from "../../src/remote/summarise-waits.js";

describe("fencing: only the current attempt is heard", () => {
  const current = { attemptId: "job-1#3", fence: 3 };
  it.each([
    ["the current attempt", { attemptId: "job-1#3", fence: 3 }, "accept"],
    ["a lost earlier attempt", { attemptId: "job-1#2", fence: 2 }, "stale"],
    ["a forged id with the current fence", { attemptId: "job-1#x", fence: 3 }, "stale"],
    ["an attempt from the future (another server)", { attemptId: "job-1#4", fence: 4 }, "unknown"],
  ] as const)("%s → %s", (_name, envelope, verdict) => {
    expect(acceptEnvelope(current, envelope)).toBe(verdict);
  });
  it("hears nothing for a job it does not wait for", () => {
    expect(acceptEnvelope(undefined, { attemptId: "job-9#1", fence: 1 })).toBe("unknown");
  });
});

describe("fairness: round-robin over repositories, default branch first", () => {
  it("orders a burst of one repository behind the first cells of the others", () => {
    const cells = [
      ...Array.from({ length: 4 }, (_, i) => ({ name: `big-${i}`, priority: cellPriority({ waitingOfRepo: i, pullRequest: false }) })),
      { name: "small-pr", priority: cellPriority({ waitingOfRepo: 0, pullRequest: true }) },
      { name: "small-push", priority: cellPriority({ waitingOfRepo: 0, pullRequest: false }) },
    ];
    // BullMQ: lower priority first, equal priorities in FIFO order.
    const order = cells.map((c, i) => ({ ...c, i })).sort((a, b) => a.priority - b.priority || a.i - b.i).map((c) => c.name);
    expect(order).toEqual(["big-0", "small-push", "small-pr", "big-1", "big-2", "big-3"]);
  });
});

describe("routing: queues per Python and labels", () => {
  it("names a cell's queue by its Python and sorted labels", () => {
    expect(cellQueueName("3.11")).toBe("cells-py3.11");
    expect(cellQueueName("3.13", ["gpu", "big", "gpu"])).toBe("cells-py3.13-big-gpu");
  });
  it("lets a runner consume every queue it can serve, and no other", () => {
    expect(queuesForRunner(["3.11", "3.13"], ["gpu"])).toEqual(["cells-py3.11", "cells-py3.11-gpu", "cells-py3.13", "cells-py3.13-gpu"]);
    expect(queuesForRunner(["3.11"], [])).not.toContain("cells-py3.11-gpu");
  });
});

describe("envelopes read from the events stream", () => {
  const good = { attemptId: "j#1", jobId: "j", fence: 1, runnerId: "r", event: { type: "log", stream: "stdout", line: "x" } };
  it.each([
    ["not JSON", "{", false],
    ["a bare string", '"hi"', false],
    ["a fence that is not a whole number", JSON.stringify({ ...good, fence: 1.5 }), false],
    ["an unknown event type", JSON.stringify({ ...good, event: { type: "exec" } }), false],
    ["oversized", JSON.stringify({ ...good, event: { ...good.event, line: "x".repeat(2 * 1024 * 1024) } }), false],
    ["well formed", JSON.stringify(good), true],
  ])("%s", (_name, text, ok) => {
    expect(parseEnvelope(text) !== undefined).toBe(ok);
  });
});

describe("helpers", () => {
  it("orders stream ids numerically", () => {
    expect(compareStreamIds("1700000000000-2", "1700000000000-10")).toBeLessThan(0);
    expect(compareStreamIds("999-0", "1000-0")).toBeLessThan(0);
    expect(compareStreamIds("5-5", "5-5")).toBe(0);
  });
  it("summarises queue waits with nearest-rank percentiles", () => {
    expect(summariseWaits([])).toEqual({ count: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 });
    expect(summariseWaits(Array.from({ length: 100 }, (_, i) => i + 1))).toEqual({ count: 100, p50Ms: 50, p95Ms: 95, maxMs: 100 });
  });
});

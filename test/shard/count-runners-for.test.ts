import { expect, it } from "@jest/globals";
import type { RunnerStatus } from "../../src/domain/remote-protocol.js";
import { countRunnersFor } from "../../src/shard/count-runners-for.js";

const runner = (id: string, over: Partial<RunnerStatus> = {}): RunnerStatus => ({ id, labels: [], pythons: ["3.11", "3.12"], concurrency: 1, running: [], at: 0, draining: false, ...over });

it("counts the runners that could take a shard: its Python, every label, not draining (busy ones count)", () => {
  const runners = [runner("a"), runner("b", { running: ["x#1"] }), runner("c", { draining: true }), runner("d", { pythons: ["3.13"] }), runner("e", { labels: ["gpu"] })];
  expect(countRunnersFor(runners, { python: "3.11" })).toBe(3);
  expect(countRunnersFor(runners, { python: "3.11", labels: ["gpu"] })).toBe(1);
  expect(countRunnersFor(runners, { python: "3.13" })).toBe(1);
  expect(countRunnersFor([], { python: "3.11" })).toBe(0);
});

import { describe, expect, it } from "@jest/globals";
import { planCollection } from "../../src/gc/plan-collection.js";
import type { GcItem } from "../../src/domain/gc-item.js";

const item = (id: string, bytes: number, lastUsedMs: number, extra: Partial<GcItem> = {}): GcItem => ({
  kind: "environment",
  id,
  bytes,
  lastUsedMs,
  inUse: false,
  remove: async () => undefined,
  ...extra,
});

const HOUR = 3_600_000;
const now = 100 * HOUR;

describe("planCollection", () => {
  const cases: { name: string; items: GcItem[]; budget: number; remove: string[] }[] = [
    { name: "under budget: nothing", items: [item("a", 10, 0), item("b", 10, HOUR)], budget: 20, remove: [] },
    { name: "over budget: oldest first until under", items: [item("new", 10, 50 * HOUR), item("old", 10, 1 * HOUR), item("mid", 10, 20 * HOUR)], budget: 15, remove: ["old", "mid"] },
    { name: "in use is skipped, the next oldest goes", items: [item("old", 10, 1 * HOUR, { inUse: true }), item("mid", 10, 20 * HOUR), item("new", 10, 50 * HOUR)], budget: 20, remove: ["mid"] },
    { name: "used within the grace period is kept", items: [item("recent", 100, now - 60_000), item("old", 1, 0)], budget: 10, remove: ["old"] },
    { name: "garbage goes whatever the budget", items: [item("crashed", 5, now, { garbage: true, kind: "workspace" }), item("a", 10, 0)], budget: 1000, remove: ["crashed"] },
    { name: "garbage in use stays", items: [item("running", 5, 0, { garbage: true, inUse: true })], budget: 0, remove: [] },
    { name: "ties broken by id", items: [item("b", 10, 0), item("a", 10, 0)], budget: 10, remove: ["a"] },
  ];
  it.each(cases)("$name", ({ items, budget, remove }) => {
    const plan = planCollection(items, { budgetBytes: budget, now, graceMs: 15 * 60_000 });
    expect(plan.remove.map((i) => i.id)).toEqual(remove);
    expect(plan.totalBytes).toBe(items.reduce((s, i) => s + i.bytes, 0));
    expect(plan.afterBytes).toBe(plan.totalBytes - plan.remove.reduce((s, i) => s + i.bytes, 0));
  });

  it("says when it cannot get under budget", () => {
    const plan = planCollection([item("busy", 100, 0, { inUse: true })], { budgetBytes: 10, now, graceMs: 0 });
    expect(plan.overBudget).toBe(true);
    expect(plan.remove).toEqual([]);
  });
});

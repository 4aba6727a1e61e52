import { describe, expect, it } from "@jest/globals";
import { emptyCounts } from "../../src/domain/events.js";
import { formatCounts } from "../../src/github/checks/format-counts.js";
import { formatDuration } from "../../src/domain/format-duration.js";
import { formatTimestamp } from "../../src/github/checks/format-timestamp.js";

describe("formatDuration", () => {
  it.each([
    [0, "0.0 s"],
    [-5, "0.0 s"],
    [Number.NaN, "0.0 s"],
    [420, "0.4 s"],
    [4_600, "4.6 s"],
    [9_960, "10.0 s"],
    [12_400, "12 s"],
    [59_400, "59 s"],
    [125_000, "2 min 5 s"],
    [1_200_000, "20 min"],
    [3_780_000, "1 h 3 min"],
    [7_200_000, "2 h"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("formatCounts", () => {
  it.each([
    [{}, "no tests"],
    [{ passed: 212, failed: 1, total: 213 }, "212 passed, 1 failed"],
    [{ passed: 3, total: 3 }, "3 passed"],
    [{ passed: 0, failed: 2, total: 2 }, "0 passed, 2 failed"],
    [{ passed: 3, error: 1, total: 4 }, "3 passed, 1 error"],
    [{ passed: 3, error: 2, skipped: 1, xfail: 1, xpass: 1, total: 8 }, "3 passed, 2 errors, 1 skipped, 1 xfailed, 1 xpassed"],
  ])("%j → %s", (partial, text) => {
    expect(formatCounts({ ...emptyCounts(), ...partial })).toBe(text);
  });
});

describe("formatTimestamp", () => {
  it("writes UTC without milliseconds", () => {
    expect(formatTimestamp(new Date("2026-04-29T10:11:12.345+02:00"))).toBe("2026-04-29T08:11:12Z");
    expect(formatTimestamp(0)).toBe("1970-01-01T00:00:00Z");
  });
});

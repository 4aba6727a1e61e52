import { describe, expect, it } from "@jest/globals";
import { emptyCounts } from "../../src/domain/events.js";
import { formatCounts, formatDuration, formatTimestamp, checkRunName, configErrorCheckRunName, truncateText } from "../../src/github/checks/format.js";

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
    [undefined, ""],
  ])("%p ms → %s", (ms, text) => {
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

describe("checkRunName", () => {
  it.each([
    [{ python: "3.13", django: "5.2" }, "Python 3.13 · Django 5.2"],
    [{ python: "3.9", django: "4.2", vars: { DB: "sqlite" } }, "Python 3.9 · Django 4.2"],
  ])("names %j %s", (cell, name) => {
    expect(checkRunName(cell)).toBe(name);
  });
});

describe("configErrorCheckRunName", () => {
  it.each([
    [undefined, "Pony CI · .github/ponyci.yml"],
    [".github/ponyci.yaml", "Pony CI · .github/ponyci.yaml"],
    ["./ci/ponyci.yml", "Pony CI · ci/ponyci.yml"],
  ])("names the config error run for %s", (path, name) => {
    expect(configErrorCheckRunName(path)).toBe(name);
  });
});

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

describe("truncateText", () => {
  it.each([
    ["fits by chars", "hello", { maxChars: 5 }, "hello"],
    ["keeps the start", "hello world", { maxChars: 6 }, "hello…"],
    ["keeps the end", "hello world", { maxChars: 6, keep: "end" as const }, "…world"],
    ["keeps both ends", "abcdefghij", { maxChars: 5, keep: "middle" as const }, "ab…ij"],
    ["counts what it cut", "abcdefghijklmnopqrst", { maxChars: 12, keep: "middle" as const, marker: "[{count}]" }, "abcd[12]qrst"],
    ["cuts by bytes", "ééééé", { maxBytes: 7 }, "éé…"],
    ["never splits a surrogate pair", "😀😀😀", { maxChars: 4 }, "😀…"],
    ["cuts at line breaks when asked", "one\ntwo\nthree\nfour\nfive", { maxChars: 16, keep: "middle" as const, marker: "[{count}]", wholeLines: true }, "one\n[15]five"],
    ["returns the marker cut when only it fits", "abcdef", { maxChars: 2, marker: "[cut]" }, "[c"],
  ])("%s", (_name, text, options, expected) => {
    expect(truncateText(text, options)).toBe(expected);
  });

  it("stays within both limits on a 200 KB input and keeps the end of a traceback", () => {
    const traceback = `${"x".repeat(200_000)}\nValueError: the real reason`;
    const cut = truncateText(traceback, { maxBytes: 64_000, maxChars: 64_000, keep: "middle", headShare: 0.25, marker: "\n… {count} characters cut …\n" });
    expect(bytes(cut)).toBeLessThanOrEqual(64_000);
    expect(cut.endsWith("ValueError: the real reason")).toBe(true);
    expect(cut).toMatch(/… \d+ characters cut …/);
    expect(cut.length).toBeGreaterThan(63_000);
  });
});

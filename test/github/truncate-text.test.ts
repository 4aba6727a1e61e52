import { describe, expect, it } from "@jest/globals";
import { truncateText } from "../../src/github/checks/truncate-text.js";

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

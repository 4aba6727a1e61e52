import { describe, expect, it } from "@jest/globals";
import { createLineSplitter } from "../../runner/src/container/create-line-splitter.js";

function split(chunks: string[], options: { maxLineBytes?: number; maxTotalBytes?: number } = {}) {
  const lines: string[] = [];
  const splitter = createLineSplitter({ onLine: (line) => lines.push(line), ...options });
  for (const chunk of chunks) splitter.write(Buffer.from(chunk));
  splitter.end();
  return { lines, dropped: splitter.dropped, bytes: splitter.bytes };
}

describe("createLineSplitter", () => {
  it.each([
    ["one line per newline", ["a\nb\n"], {}, ["a", "b"], 0],
    ["lines split across chunks", ["he", "llo\nwor", "ld\n"], {}, ["hello", "world"], 0],
    ["a last line without newline", ["a\nb"], {}, ["a", "b"], 0],
    ["CRLF endings", ["a\r\nb\r\n"], {}, ["a", "b"], 0],
    ["empty lines kept", ["\n\nx\n"], {}, ["", "", "x"], 0],
    ["long lines cut and marked", ["abcdefgh\n"], { maxLineBytes: 4 }, ["abcd…"], 0],
    ["lines past the total budget counted, not kept", ["aa\nbb\ncc\ndd\n"], { maxTotalBytes: 6 }, ["aa", "bb"], 2],
  ])("%s", (_name, chunks, options, lines, dropped) => {
    const result = split(chunks, options);
    expect(result.lines).toEqual(lines);
    expect(result.dropped).toBe(dropped);
  });

  it("shares one budget between splitters (stdout and stderr of a cell)", () => {
    const budget = { left: 6 };
    const kept: string[] = [];
    const out = createLineSplitter({ onLine: (l) => kept.push(`out:${l}`), budget });
    const err = createLineSplitter({ onLine: (l) => kept.push(`err:${l}`), budget });
    out.write(Buffer.from("aa\n"));
    err.write(Buffer.from("bb\n"));
    out.write(Buffer.from("cc\n"));
    err.write(Buffer.from("dd\n"));
    expect(kept).toEqual(["out:aa", "err:bb"]);
    expect(out.dropped + err.dropped).toBe(2);
  });

  it("keeps no memory for a flood past the budget", () => {
    const result = split([("x".repeat(1023) + "\n").repeat(10_000)], { maxTotalBytes: 4096 });
    expect(result.lines).toHaveLength(4);
    expect(result.dropped).toBe(9_996);
    expect(result.bytes).toBe(10_240_000);
  });
});

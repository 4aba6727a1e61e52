import { describe, expect, it } from "@jest/globals";
import { parseCatFileBatch } from "../../runner/src/checkout/parse-cat-file-batch.js";

const oid = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

describe("parseCatFileBatch", () => {
  it("splits answers by their byte sizes, newlines and multi-byte text included", () => {
    const text = "héllo\nworld\n";
    const output = Buffer.concat([
      Buffer.from(`${oid} blob ${Buffer.byteLength(text)}\n${text}\n`),
      Buffer.from(`${"a".repeat(40)}:setup.cfg missing\n`),
      Buffer.from(`${oid} tree 0\n\n`),
    ]);
    const answers = parseCatFileBatch(output, 3);
    expect(answers[0]?.type).toBe("blob");
    expect(answers[0]?.content.toString("utf8")).toBe(text);
    expect(answers[1]).toBeUndefined();
    expect(answers[2]?.type).toBe("tree");
  });

  it("refuses output that is cut short", () => {
    expect(() => parseCatFileBatch(Buffer.from(`${oid} blob 10\nabc`), 1)).toThrow(/cut short/);
    expect(() => parseCatFileBatch(Buffer.from(""), 1)).toThrow(/ends after 0 of 1/);
  });
});

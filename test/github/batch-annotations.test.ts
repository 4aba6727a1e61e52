import { describe, expect, it } from "@jest/globals";
import { batchAnnotations } from "../../src/github/checks/batch-annotations.js";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("batchAnnotations", () => {
  it.each([
    [0, undefined, []],
    [1, undefined, [1]],
    [50, undefined, [50]],
    [51, undefined, [50, 1]],
    [120, undefined, [50, 50, 20]],
    [7, 3, [3, 3, 1]],
  ])("splits %d annotations (size %s) into %j", (count, size, sizes) => {
    const batches = batchAnnotations(range(count), size);
    expect(batches.map((b) => b.length)).toEqual(sizes);
    expect(batches.flat()).toEqual(range(count));
  });

  it.each([0, 51, 2.5])("refuses a batch size of %d", (size) => {
    expect(() => batchAnnotations([1], size)).toThrow(RangeError);
  });
});

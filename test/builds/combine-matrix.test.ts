import { describe, expect, it } from "@jest/globals";
import { combineMatrix } from "../../src/builds/matrix/combine-matrix.js";

// The examples of GitHub's "Running variations of jobs in a workflow" page, with their documented results.
type Example = { name: string; axes: Record<string, string[]>; include: Record<string, string>[]; exclude: Record<string, string>[]; expected: Record<string, string>[] };

describe("combineMatrix follows GitHub Actions", () => {
  it.each<Example>([
    {
      name: "expanding or adding matrix configurations",
      axes: { fruit: ["apple", "pear"], animal: ["cat", "dog"] },
      include: [
        { color: "green" },
        { color: "pink", animal: "cat" },
        { fruit: "apple", shape: "circle" },
        { fruit: "banana" },
        { fruit: "banana", animal: "cat" },
      ],
      exclude: [],
      expected: [
        { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
        { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
        { fruit: "pear", animal: "cat", color: "pink" },
        { fruit: "pear", animal: "dog", color: "green" },
        { fruit: "banana" },
        { fruit: "banana", animal: "cat" },
      ],
    },
    {
      name: "expanding configurations: one combination gains a key",
      axes: { os: ["windows-latest", "ubuntu-latest"], node: ["14", "16"] },
      include: [{ os: "windows-latest", node: "16", npm: "6" }],
      exclude: [],
      expected: [
        { os: "windows-latest", node: "14" },
        { os: "windows-latest", node: "16", npm: "6" },
        { os: "ubuntu-latest", node: "14" },
        { os: "ubuntu-latest", node: "16" },
      ],
    },
    {
      name: "adding configurations: an include that would overwrite an original value becomes a new combination",
      axes: { os: ["macos-latest", "windows-latest", "ubuntu-latest"], version: ["12", "14", "16"] },
      include: [{ os: "windows-latest", version: "17" }],
      exclude: [],
      expected: [
        { os: "macos-latest", version: "12" }, { os: "macos-latest", version: "14" }, { os: "macos-latest", version: "16" },
        { os: "windows-latest", version: "12" }, { os: "windows-latest", version: "14" }, { os: "windows-latest", version: "16" },
        { os: "ubuntu-latest", version: "12" }, { os: "ubuntu-latest", version: "14" }, { os: "ubuntu-latest", version: "16" },
        { os: "windows-latest", version: "17" },
      ],
    },
    {
      name: "include only: each entry is a combination",
      axes: {},
      include: [{ site: "production", datacenter: "site-a" }, { site: "staging", datacenter: "site-b" }],
      exclude: [],
      expected: [{ site: "production", datacenter: "site-a" }, { site: "staging", datacenter: "site-b" }],
    },
    {
      name: "excluding matrix configurations (partial match is enough; unknown values are no-ops)",
      axes: { os: ["macos-latest", "windows-latest"], version: ["12", "14", "16"], environment: ["staging", "production"] },
      include: [],
      exclude: [{ os: "macos-latest", version: "12", environment: "production" }, { os: "windows-latest", version: "16" }, { os: "linux", version: "99" }],
      expected: [
        { os: "macos-latest", version: "12", environment: "staging" },
        { os: "macos-latest", version: "14", environment: "staging" },
        { os: "macos-latest", version: "14", environment: "production" },
        { os: "macos-latest", version: "16", environment: "staging" },
        { os: "macos-latest", version: "16", environment: "production" },
        { os: "windows-latest", version: "12", environment: "staging" },
        { os: "windows-latest", version: "12", environment: "production" },
        { os: "windows-latest", version: "14", environment: "staging" },
        { os: "windows-latest", version: "14", environment: "production" },
      ],
    },
    {
      name: "include runs after exclude and can add an excluded combination back",
      axes: { python: ["3.11", "3.13"], django: ["4.2", "5.2"] },
      include: [{ python: "3.13", django: "4.2", experimental: "true" }],
      exclude: [{ python: "3.13", django: "4.2" }],
      expected: [
        { python: "3.11", django: "4.2" }, { python: "3.11", django: "5.2" }, { python: "3.13", django: "5.2" },
        { python: "3.13", django: "4.2", experimental: "true" },
      ],
    },
  ])("$name", ({ axes, include, exclude, expected }) => {
    expect(combineMatrix(axes, { include, exclude }).map((c) => c.values)).toEqual(expected);
  });

  it("records which include entry created a new combination", () => {
    const combos = combineMatrix({ fruit: ["apple"] }, { include: [{ color: "red" }, { fruit: "banana" }] });
    expect(combos.map((c) => c.addedBy)).toEqual([undefined, 1]);
  });

  it("never merges an include into a combination an earlier include created", () => {
    const combos = combineMatrix({ a: ["1"] }, { include: [{ a: "2" }, { a: "2", b: "x" }] });
    expect(combos.map((c) => c.values)).toEqual([{ a: "1" }, { a: "2" }, { a: "2", b: "x" }]);
  });
});

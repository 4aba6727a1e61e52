import { describe, expect, it } from "@jest/globals";
import { compareVersions, parseVersion } from "../../src/domain/compare-versions.js";

describe("compareVersions (PEP 440, the one version order)", () => {
  it("orders release parts numerically, pre-releases before, post-releases after the final", () => {
    const shuffled = ["6.0.post1", "3.11", "6.0", "6.0rc1", "3.9", "6.0.dev1", "6.0a1", "6.0b2", "4.2.16", "4.2", "10.0"];
    expect([...shuffled].sort(compareVersions)).toEqual(["3.9", "3.11", "4.2", "4.2.16", "6.0.dev1", "6.0a1", "6.0b2", "6.0rc1", "6.0", "6.0.post1", "10.0"]);
  });

  it("treats missing parts as zero and non-versions as first", () => {
    expect(compareVersions("4.2", "4.2.0")).toBe(0);
    expect(["3.12", "pypy3.10", "3.8"].sort(compareVersions)).toEqual(["pypy3.10", "3.8", "3.12"]);
    expect(compareVersions("main", "dev")).toBe(0);
  });
});

describe("parseVersion", () => {
  it.each([
    ["6.0a1", { release: [6, 0], stage: 0, pre: 1 }],
    ["5.1rc2", { release: [5, 1], stage: 2, pre: 2 }],
    ["4.2.16", { release: [4, 2, 16], stage: 3, pre: 0 }],
    ["1.0.post1", { release: [1, 0], stage: 3, pre: 0 }],
    ["2.0.dev3", { release: [2, 0], stage: -1, pre: 0 }],
  ])("%s", (text, parsed) => {
    expect(parseVersion(text)).toEqual(parsed);
  });

  it("is undefined for what is not a version", () => {
    expect(parseVersion("pypy3.10")).toBeUndefined();
    expect(parseVersion("")).toBeUndefined();
  });
});

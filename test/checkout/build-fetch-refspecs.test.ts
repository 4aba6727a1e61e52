import { describe, expect, it } from "@jest/globals";
import { buildFetchRefspecs } from "../../runner/src/checkout/build-fetch-refspecs.js";
import { CheckoutError } from "../../src/domain/checkout-error.js";
import { normaliseSha } from "../../runner/src/checkout/normalise-sha.js";
import { pickRemoteRef } from "../../runner/src/checkout/pick-remote-ref.js";

describe("buildFetchRefspecs", () => {
  it("fetches branches and tags, plus each extra ref once under its own name", () => {
    expect(buildFetchRefspecs(["refs/pull/7/head", "refs/pull/7/head"])).toEqual(["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*", "+refs/pull/7/head:refs/pull/7/head"]);
    expect(buildFetchRefspecs()).toHaveLength(2);
  });

  it.each(["pull/7/head", "refs/pull/*", "refs/a:refs/b", "--upload-pack=x", "refs/../x", "refs/x.lock", "refs/a b"])("refuses %j", (ref) => {
    expect(() => buildFetchRefspecs([ref])).toThrow(CheckoutError);
  });
});

describe("normaliseSha", () => {
  it("lowercases full ids and refuses the rest", () => {
    expect(normaliseSha("ABCDEF0123456789ABCDEF0123456789ABCDEF01")).toBe("abcdef0123456789abcdef0123456789abcdef01");
    for (const bad of ["abc123", "main", "zzzzzz0123456789abcdef0123456789abcdef01", "-abcdef0123456789abcdef0123456789abcdef0"]) {
      expect(() => normaliseSha(bad)).toThrow(/not a full commit id/);
    }
  });
});

describe("pickRemoteRef", () => {
  const a = "a".repeat(40);
  const b = "b".repeat(40);
  const c = "c".repeat(40);
  const output = [`${a}\trefs/heads/main`, `${b}\trefs/tags/v1`, `${c}\trefs/tags/v1^{}`, `${a}\trefs/heads/feature/main`, `${b}\trefs/tags/release`].join("\n");
  it.each([
    ["main", a],
    ["refs/heads/main", a],
    ["v1", c],
    ["refs/tags/v1", c],
    ["release", b],
    ["feature", undefined],
    ["refs/heads/v1", undefined],
  ])("%s → %s", (ref, expected) => {
    expect(pickRemoteRef(output, ref)).toBe(expected);
  });
});

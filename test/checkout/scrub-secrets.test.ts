import { describe, expect, it } from "@jest/globals";
import { encodeBasicAuth, scrubSecrets } from "../../runner/src/checkout/scrub-secrets.js";

const token = "ghs_abcdefABCDEF0123456789";

describe("scrubSecrets", () => {
  it.each([
    ["the token itself", `fatal: bad token ${token}`, "fatal: bad token ***"],
    ["the basic-auth header form", `Authorization: Basic ${encodeBasicAuth(token)}`, "Authorization: Basic ***"],
    ["a url password", "fatal: unable to access 'https://bob:s3cr3t@example.com/x.git/'", "fatal: unable to access 'https://bob:***@example.com/x.git/'"],
    ["a url that is only a token as password", `https://x-access-token:${token}@github.com/o/r`, "https://x-access-token:***@github.com/o/r"],
    ["text without secrets", "fatal: repository not found", "fatal: repository not found"],
    ["scp-like urls (no password to hide)", "git@github.com:o/r.git", "git@github.com:o/r.git"],
  ])("hides %s", (_what, text, expected) => {
    expect(scrubSecrets(text, [token])).toBe(expected);
  });

  it("ignores secrets too short to scrub safely", () => {
    expect(scrubSecrets("a b c", ["a"])).toBe("a b c");
  });

  it("encodes GitHub's basic-auth form of an installation token", () => {
    expect(Buffer.from(encodeBasicAuth("tok1"), "base64").toString()).toBe("x-access-token:tok1");
  });
});

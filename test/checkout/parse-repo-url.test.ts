import { describe, expect, it } from "@jest/globals";
import { CheckoutError } from "../../src/domain/checkout-error.js";
import { getMirrorPath } from "../../runner/src/checkout/get-mirror-path.js";
import { parseRepoUrl } from "../../src/domain/parse-repo-url.js";

describe("parseRepoUrl", () => {
  it.each([
    ["https://github.com/o/r.git", "https", "https://github.com/o/r.git", "https://github.com"],
    ["https://u:pw@git.example.com:8443/r", "https", "https://u:***@git.example.com:8443/r", "https://git.example.com:8443"],
    ["ssh://git@host/srv/r.git", "ssh", "ssh://git@host/srv/r.git", undefined],
    ["git@github.com:o/r.git", "scp", "git@github.com:o/r.git", undefined],
    ["file:///srv/git/r", "file", "file:///srv/git/r", undefined],
    ["/srv/git/r", "path", "/srv/git/r", undefined],
    ["http://git.example.com/r", "http", "http://git.example.com/r", undefined],
  ])("accepts %s", (url, kind, display, httpsOrigin) => {
    expect(parseRepoUrl(url)).toEqual({ kind, url, display, ...(httpsOrigin ? { httpsOrigin } : {}) });
  });

  it.each(["ext::sh -c touch% /tmp/pwned", "fd::3", "--upload-pack=touch /tmp/x", "relative/path", "", "ftp://host/r", "https://host/r\nx"])(
    "refuses %j",
    (url) => {
      expect(() => parseRepoUrl(url)).toThrow(CheckoutError);
    },
  );
});

describe("getMirrorPath", () => {
  it("names a mirror after the repository and keeps different urls apart", () => {
    const a = getMirrorPath("/cache", "https://github.com/django/polls.git");
    expect(a).toMatch(/^\/cache\/mirrors\/django-polls-[0-9a-f]{12}\.git$/);
    expect(getMirrorPath("/cache", "https://github.com/django/polls")).toBe(a);
    expect(getMirrorPath("/cache", "https://x-access-token:t@github.com/django/polls/")).toBe(a);
    expect(getMirrorPath("/cache", "https://github.com/other/polls.git")).not.toBe(a);
    expect(getMirrorPath("/cache", "git@github.com:django/polls.git")).toMatch(/\/django-polls-[0-9a-f]{12}\.git$/);
    expect(getMirrorPath("/cache", "/srv/../weird name/r")).toMatch(/\/weird_name-r-[0-9a-f]{12}\.git$/);
  });
});

import { describe, expect, it } from "@jest/globals";
import { classifyHttpFailure } from "../../src/outbox/classify-http-failure.js";

const now = Date.UTC(2025, 0, 1, 12, 0, 0);

describe("classifyHttpFailure", () => {
  it.each([
    ["a network error (no status)", new TypeError("fetch failed"), { status: "retry" }],
    ["502", { status: 502, message: "Bad Gateway" }, { status: "retry" }],
    ["503 with retry-after", { status: 503, headers: { "retry-after": "5" } }, { status: "retry", retryAfterMs: 5_000 }],
    ["408", { status: 408 }, { status: "retry" }],
    ["429 with retry-after seconds", { status: 429, headers: { "retry-after": "30" } }, { status: "retry", retryAfterMs: 30_000 }],
    [
      "429 with retry-after as an HTTP date",
      { status: 429, headers: { "retry-after": new Date(now + 90_000).toUTCString() } },
      { status: "retry", retryAfterMs: 90_000 },
    ],
    ["429 without headers", { status: 429 }, { status: "retry", retryAfterMs: 60_000 }],
    [
      "403 primary rate limit: wait for the reset",
      { status: 403, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 120) } },
      { status: "retry", retryAfterMs: 120_000 },
    ],
    [
      "403 secondary rate limit, message only",
      { status: 403, message: "You have exceeded a secondary rate limit." },
      { status: "retry", retryAfterMs: 60_000 },
    ],
    ["403 permissions", { status: 403, message: "Resource not accessible by integration" }, { status: "rejected" }],
    ["422 validation", { status: 422, message: "Invalid request" }, { status: "rejected" }],
    ["404", { status: 404 }, { status: "rejected" }],
  ])("%s", (_name, failure, expected) => {
    expect(classifyHttpFailure(failure, now)).toMatchObject(expected);
  });

  it("reads the headers of an Octokit RequestError (response.headers) and of a fetch Response (Headers)", () => {
    const octokitError = Object.assign(new Error("API rate limit exceeded"), {
      status: 403,
      response: { headers: { "retry-after": "12" } },
    });
    expect(classifyHttpFailure(octokitError, now)).toMatchObject({ status: "retry", retryAfterMs: 12_000 });
    const response = { status: 429, headers: new Headers({ "Retry-After": "3" }) };
    expect(classifyHttpFailure(response, now)).toMatchObject({ status: "retry", retryAfterMs: 3_000 });
  });

  it("says what happened in the reason", () => {
    expect(classifyHttpFailure({ status: 422, message: "Validation Failed" }, now)).toEqual({
      status: "rejected",
      reason: "HTTP 422: Validation Failed",
    });
  });
});

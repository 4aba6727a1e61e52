import { describe, expect, it } from "@jest/globals";
import type { Conclusion } from "../../src/domain/events.js";
import { toCheckConclusion } from "../../src/github/checks/to-check-conclusion.js";
import { assertValidRequestBody } from "../support/github-schema.js";

describe("toCheckConclusion", () => {
  it.each<[Conclusion, string]>([
    ["success", "success"],
    ["failure", "failure"],
    ["cancelled", "cancelled"],
    ["timed_out", "timed_out"],
    // An infrastructure error must block merging: neutral would count as passing for required checks.
    ["error", "failure"],
    // tox's ignore_outcome: the project says this cell must not count.
    ["neutral", "neutral"],
  ])("maps %s to %s, a conclusion GitHub accepts", (conclusion, expected) => {
    const mapped = toCheckConclusion(conclusion);
    expect(mapped).toBe(expected);
    assertValidRequestBody("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", { status: "completed", conclusion: mapped });
  });
});

import { describe, expect, it } from "@jest/globals";
import type { CheckRunUpdate } from "../../src/github/checks/check-run-payload.js";
import { hasCheckChange } from "../../src/github/checks/has-check-change.js";

const running: CheckRunUpdate = { status: "in_progress", output: { title: "Running: 3 passed so far", summary: "s" } };
const annotation = { path: "a.py", start_line: 1, end_line: 1, annotation_level: "failure" as const, message: "m" };

describe("hasCheckChange", () => {
  it.each<[string, CheckRunUpdate | undefined, CheckRunUpdate, boolean]>([
    ["nothing sent yet", undefined, running, true],
    ["the same update again", running, { status: "in_progress", output: { title: "Running: 3 passed so far", summary: "s" } }, false],
    ["the same update with keys in another order and undefined fields", running, { output: { summary: "s", title: "Running: 3 passed so far", text: undefined }, status: "in_progress" }, false],
    ["the same update with an empty annotation list", running, { ...running, output: { ...running.output!, annotations: [] } }, false],
    ["a new title", running, { status: "in_progress", output: { title: "Running: 4 passed so far", summary: "s" } }, true],
    ["a new summary", running, { status: "in_progress", output: { title: "Running: 3 passed so far", summary: "s2" } }, true],
    ["a new status", running, { ...running, status: "completed", conclusion: "success" }, true],
    ["annotations (GitHub appends them)", { ...running, output: { ...running.output!, annotations: [annotation] } }, { ...running, output: { ...running.output!, annotations: [annotation] } }, true],
    ["new buttons", running, { ...running, actions: [{ label: "l", description: "d", identifier: "i" }] }, true],
  ])("%s → %s", (_name, previous, next, changed) => {
    expect(hasCheckChange(previous, next)).toBe(changed);
  });
});

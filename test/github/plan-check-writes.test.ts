import { describe, expect, it } from "@jest/globals";
import { emptyCounts } from "../../src/domain/events.js";
import { buildCheckActions } from "../../src/github/checks/build-check-actions.js";
import { planCheckWrites } from "../../src/github/checks/plan-check-writes.js";
import { renderCheckOutput } from "../../src/github/checks/render-check-output.js";
import { toCheckConclusion } from "../../src/github/checks/to-check-conclusion.js";
import type { CheckRunUpdate } from "../../src/github/checks/check-run-payload.js";
import { CELL, finishedEvent, testResults } from "../support/github-check-fixtures.js";
import { assertValidRequestBody } from "../support/github-schema.js";

const UPDATE = "/repos/{owner}/{repo}/check-runs/{check_run_id}";
const COMPLETED_AT = new Date("2026-04-29T08:00:00.500Z");

function plan(tests: ReturnType<typeof testResults>, finished: Parameters<typeof finishedEvent>[1] = {}, maxAnnotations?: number): CheckRunUpdate[] {
  const event = finishedEvent(tests, finished);
  const output = renderCheckOutput({ cell: CELL, finished: event, tests, logTail: ["log line"], maxAnnotations });
  const writes = planCheckWrites({ output, conclusion: toCheckConclusion(event.conclusion), counts: event.counts, completedAt: COMPLETED_AT });
  for (const write of writes) assertValidRequestBody("PATCH", UPDATE, write);
  return writes;
}

describe("planCheckWrites", () => {
  it("completes a passing cell without annotations in exactly one write, with no buttons", () => {
    const writes = plan(testResults(3, "passed"));
    expect(writes).toEqual([
      {
        status: "completed",
        conclusion: "success",
        completed_at: "2026-04-29T08:00:00Z",
        output: { title: "3 passed in 4.6 s", summary: expect.any(String), text: expect.any(String) },
      },
    ]);
  });

  it("sends 120 failures as 50, 50 and 20 annotations, repeating title, summary and text", () => {
    const writes = plan([...testResults(10, "passed"), ...testResults(120, "failed")]);
    expect(writes.map((w) => w.output?.annotations?.length)).toEqual([50, 50, 20]);
    const [first, ...rest] = writes;
    expect(first).toMatchObject({ status: "completed", conclusion: "failure", completed_at: "2026-04-29T08:00:00Z" });
    for (const write of rest) {
      expect(write.status).toBeUndefined();
      expect(write.conclusion).toBeUndefined();
      expect(write.output).toMatchObject({ title: first?.output?.title, summary: first?.output?.summary, text: first?.output?.text });
    }
    const lines = writes.flatMap((w) => w.output?.annotations ?? []).map((a) => a.start_line);
    expect(lines).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it("carries the capped annotations and the left-out notice last", () => {
    const writes = plan(testResults(200, "failed"));
    expect(writes.map((w) => w.output?.annotations?.length)).toEqual([50, 50, 50]);
    expect(writes[2]?.output?.annotations?.at(-1)).toMatchObject({ annotation_level: "notice", title: "51 more failures not annotated" });
  });

  it("offers 'Re-run failed' on every write when tests failed or errored", () => {
    const writes = plan([...testResults(60, "failed"), ...testResults(1, "error")]);
    for (const write of writes) {
      expect(write.actions).toEqual([{ label: "Re-run failed", description: "Run only the failed tests again", identifier: "rerun-failed" }]);
    }
  });

  it.each([
    ["a crash before start", [], { conclusion: "failure" as const, error: { message: "ImportError: x", location: { path: "mysite/settings.py", line: 7 } } }, "failure", 1],
    ["a timed-out cell", testResults(2, "passed"), { conclusion: "timed_out" as const }, "timed_out", 0],
    ["a cancelled cell", testResults(2, "passed"), { conclusion: "cancelled" as const }, "cancelled", 0],
    ["an infrastructure error", [], { conclusion: "error" as const, error: { message: "docker: no space left on device" } }, "failure", 0],
  ])("completes %s in one write without buttons", (_name, tests, finished, conclusion, annotations) => {
    const writes = plan(tests, finished);
    expect(writes).toHaveLength(1);
    expect(writes[0]?.conclusion).toBe(conclusion);
    expect(writes[0]?.actions).toBeUndefined();
    expect(writes[0]?.output?.annotations?.length ?? 0).toBe(annotations);
  });

  it("honours a smaller batch size", () => {
    const tests = testResults(7, "failed");
    const event = finishedEvent(tests);
    const output = renderCheckOutput({ cell: CELL, finished: event, tests, logTail: [] });
    const writes = planCheckWrites({ output, conclusion: "failure", counts: event.counts, completedAt: 0, batchSize: 3 });
    expect(writes.map((w) => w.output?.annotations?.length)).toEqual([3, 3, 1]);
  });
});

describe("buildCheckActions", () => {
  it.each([
    [{}, []],
    [{ passed: 3, skipped: 2 }, []],
    [{ failed: 1 }, ["rerun-failed"]],
    [{ error: 2 }, ["rerun-failed"]],
  ])("for counts %j offers %j", (partial, identifiers) => {
    const actions = buildCheckActions({ ...emptyCounts(), ...partial });
    expect(actions.map((a) => a.identifier)).toEqual(identifiers);
    for (const action of actions) {
      expect(action.label.length).toBeLessThanOrEqual(20);
      expect(action.description.length).toBeLessThanOrEqual(40);
      expect(action.identifier.length).toBeLessThanOrEqual(20);
    }
  });
});

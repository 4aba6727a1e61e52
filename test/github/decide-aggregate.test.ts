import { describe, expect, it } from "@jest/globals";
import { aggregateConclusion, aggregateExternalId, buildIdOfAggregate, cellsToRerun, latestCells } from "../../src/github/checks/decide-aggregate.js";
import type { CheckConclusion } from "../../src/github/checks/check-run-payload.js";
import type { JobRecord } from "../../src/store/job-rows.js";

const job = (id: string, python: string, state: JobRecord["state"], conclusion?: JobRecord["conclusion"], external: Record<string, unknown> = {}): JobRecord => ({
  id,
  buildId: 1,
  seq: 1,
  cell: { python, django: "5.2" } as JobRecord["cell"],
  state,
  attempts: 1,
  conclusion,
  external,
  createdAt: 0,
});

describe("the aggregate's verdict (pure)", () => {
  it.each<[CheckConclusion[], CheckConclusion]>([
    [[], "success"],
    [["success", "success"], "success"],
    // tox's ignore_outcome (neutral) and skipped cells pass, as they do in branch protection.
    [["success", "neutral", "skipped"], "success"],
    [["success", "cancelled"], "cancelled"],
    [["cancelled", "timed_out"], "timed_out"],
    [["timed_out", "failure", "success"], "failure"],
    [["action_required", "success"], "action_required"],
  ])("%j → %s", (cells, expected) => {
    expect(aggregateConclusion(cells)).toBe(expected);
  });

  it("stands for the latest job of each cell; a confirmation re-run is not a cell", () => {
    const first = [job("a", "3.11", "finished", "failure"), job("b", "3.13", "finished", "success"), job("a-c1", "3.11", "finished", "failure", { confirms: "a" })];
    const rerun = [job("c", "3.11", "finished", "success")];
    expect(latestCells([first]).map((j) => j.id)).toEqual(["a", "b"]);
    expect(latestCells([first, rerun]).map((j) => j.id)).toEqual(["c", "b"]);
  });

  it("re-runs what did not pass: failed, timed out, cancelled; never a passing or ignored cell", () => {
    const cells = [job("a", "3.9", "finished", "failure"), job("b", "3.10", "finished", "success"), job("c", "3.11", "cancelled", "cancelled"), job("d", "3.12", "finished", "neutral"), job("e", "3.13", "finished", "error")];
    expect(cellsToRerun(cells).map((j) => j.id)).toEqual(["a", "c", "e"]);
  });

  it("names its build in external_id, and only its own ids parse", () => {
    expect(buildIdOfAggregate(aggregateExternalId(42))).toBe(42);
    expect(buildIdOfAggregate("42-1-abcdef")).toBeUndefined();
    expect(buildIdOfAggregate("ponyci-approve:7")).toBeUndefined();
    expect(buildIdOfAggregate(null)).toBeUndefined();
  });
});

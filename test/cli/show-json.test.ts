import { afterEach, describe, expect, it } from "@jest/globals";
import { showCommand } from "../../src/cli/show-command.js";
import { emptyCounts } from "../../src/domain/events.js";
import { createJobSpec } from "../../src/domain/job-spec.js";
import { storeJobPlan } from "../../src/builds/job-plan.js";
import { openStore } from "../../src/store/open-store.js";
import type { RunReport } from "../../src/reports/run-report.js";
import { makeTempDir } from "../store/temp-dir.js";

describe("ponyci show --json", () => {
  const temp = makeTempDir("ponyci-show-json-");
  afterEach(() => temp.remove());

  it("prints the run report of a recorded build: every cell, its notes and every test with file:line", async () => {
    const store = openStore({ dataDir: temp.dir });
    const cell = { python: "3.11", django: "5.2" };
    const other = { python: "3.13", django: "5.2" };
    const external = storeJobPlan({ ...createJobSpec(cell), notes: ["tox env py311-django52: pass_env X: not passed"] }) as Record<string, unknown>;
    const { build } = store.createBuild({ repo: "acme/polls", source: "cli", visibility: "public", sha: "abc123", event: "manual", jobs: [{ cell, external }, { cell: other }] });
    store.recordJobStarted("1-1");
    store.addTestResults("1-1", [
      { id: "polls.tests.T.test_ok", outcome: "passed", durationMs: 4 },
      { id: "polls.tests.T.test_bad", outcome: "failed", durationMs: 2, message: "AssertionError: no", location: { path: "polls/tests.py", line: 9 } },
    ]);
    store.recordJobFinished({ jobId: "1-1", conclusion: "neutral", counts: { ...emptyCounts(), passed: 1, failed: 1, total: 2 } });
    store.close();

    let printed = "";
    expect(await showCommand([String(build.id), "--json"], { settings: { dataDir: temp.dir }, out: { write: (t) => void (printed += t) } })).toBe(0);
    const report = JSON.parse(printed) as RunReport;
    expect(report).toMatchObject({ version: 1, repository: "acme/polls", sha: "abc123", conclusion: "pending" });
    expect(report.cells.map((c) => [c.name, c.conclusion])).toEqual([["Python 3.11 · Django 5.2", "neutral"], ["Python 3.13 · Django 5.2", "pending"]]);
    expect(report.cells[0]?.notes).toEqual(["tox env py311-django52: pass_env X: not passed"]);
    expect(report.cells[0]?.tests).toEqual([
      { id: "polls.tests.T.test_ok", outcome: "passed", durationMs: 4 },
      { id: "polls.tests.T.test_bad", outcome: "failed", durationMs: 2, message: "AssertionError: no", file: "polls/tests.py", line: 9 },
    ]);
  });
});

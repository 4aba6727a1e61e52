/**
 * `ponyci show` folds a confirmation re-run under the cell it confirms, as
 * the dashboard shows attempts: never a cell line of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { showCommand } from "../../src/cli/show-command.js";
import { emptyCounts } from "../../src/domain/events.js";
import { openStore } from "../../src/store/open-store.js";

describe("ponyci show with a confirmation re-run", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "ponyci-show-attempts-"));
    const store = openStore({ dataDir });
    const { build } = store.createBuild({ repo: "acme/polls", source: "github", visibility: "public", sha: "c".repeat(40), branch: "main", event: "push", jobs: [{ cell: { python: "3.12", django: "5.2" } }, { cell: { python: "3.13", django: "5.2" } }] });
    const [first, second] = store.listJobs(build.id);
    if (!first || !second) throw new Error("jobs not created");
    store.recordJobStarted(first.id, 1_000);
    store.addTestResults(first.id, [{ id: "polls.tests.T.test_flaky", outcome: "failed", durationMs: 3, message: "AssertionError: 1 != 2", location: { path: "polls/tests.py", line: 12 } }]);
    store.recordJobFinished({ jobId: first.id, conclusion: "failure", counts: { ...emptyCounts(), passed: 4, failed: 1, total: 5 }, at: 61_000 });
    const [attempt] = store.createJobs(build.id, [{ id: `${first.id}-c1`, cell: first.cell, external: { onlyTests: ["polls.tests.T.test_flaky"], confirms: first.id } }]);
    if (!attempt) throw new Error("attempt not created");
    store.recordJobStarted(attempt.id, 70_000);
    store.addTestResults(attempt.id, [{ id: "polls.tests.T.test_flaky", outcome: "failed", durationMs: 3, message: "AssertionError: 1 != 3", location: { path: "polls/tests.py", line: 12 } }]);
    store.recordJobFinished({ jobId: attempt.id, conclusion: "failure", counts: { ...emptyCounts(), failed: 1, total: 1 }, at: 80_000 });
    store.recordJobStarted(second.id, 1_000);
    store.recordJobFinished({ jobId: second.id, conclusion: "success", counts: { ...emptyCounts(), passed: 5, total: 5 }, at: 30_000 });
    store.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("prints the re-run as attempt 2 under its cell, with its own failures, and no extra cell line", async () => {
    let text = "";
    const code = await showCommand(["1"], { settings: { dataDir }, out: { write: (t) => void (text += t) } });
    expect(code).toBe(0);
    const lines = text.trimEnd().split("\n");
    const cellLines = lines.filter((line) => /^\S+ Python/.test(line));
    expect(cellLines).toHaveLength(2);
    const at = lines.findIndex((line) => line.includes("Python 3.12"));
    expect(lines.slice(at, at + 6)).toEqual([
      expect.stringMatching(/^✗ Python 3\.12.*failure {2}4 passed, 1 failed in 1 min \(waited/),
      "    failed polls.tests.T.test_flaky at polls/tests.py:12",
      "      AssertionError: 1 != 2",
      expect.stringMatching(/^ {4}attempt 2 \(confirmation\): failure {2}0 passed, 1 failed in 10 s/),
      "      failed polls.tests.T.test_flaky at polls/tests.py:12",
      "        AssertionError: 1 != 3",
    ]);
    expect(lines[at + 6]).toMatch(/^✓ Python 3\.13/);
  });
});

/**
 * How a repository wants its failing tests judged (issue 15), from
 * `.github/ponyci.yml` (reference: docs/repo-config.md). Carried by every job
 * of a build (its JobPlan), so a verdict uses the config of its own commit.
 */
export interface TestPolicy {
  /** Tests that still run and are reported, but do not make a cell red. */
  quarantine: QuarantineEntry[];
  /** The conclusion of a cell whose only counted failures already failed on the base. */
  alreadyFailing: "failure" | "neutral";
  /** Re-run once, automatically, a cell whose only failures are tests never seen failing before. */
  confirmFailures: boolean;
  /** Run the tests that failed last time on the branch (or its base) first. */
  failedFirst: boolean;
}

export interface QuarantineEntry {
  /** A test id as reported ("polls.tests.T.test_x", "tests/test_a.py::test_x") or a glob of them. */
  test: string;
  /** Last day (UTC, "YYYY-MM-DD") the quarantine holds; from the next day the test counts again. */
  until?: string;
  reason?: string;
  /** Line in the config file, for messages. */
  line?: number;
}

export function createDefaultTestPolicy(): TestPolicy {
  return { quarantine: [], alreadyFailing: "failure", confirmFailures: true, failedFirst: true };
}

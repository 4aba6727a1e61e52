import type { TestOutcome, TestResult } from "../../domain/events.js";
import type { ClassifiedFailure, FailureBucket, FailureReport } from "../../history/classify-failures.js";
import { formatTimestamp, truncateText } from "./format.js";
import { escapeMarkdown, sanitizeText } from "./safe-text.js";

const MAX_ROWS = 50;

const LABELS: Record<FailureBucket, string> = {
  new: "new",
  "already-failing": "already failing",
  flaky: "flaky",
  quarantined: "quarantined",
  "no-base": "no base",
};

/** How an annotation names a failure's bucket, and at which level (only counted failures are `failure`). */
export function annotationTagOf(report: FailureReport): (test: TestResult) => { tag: string; level: "failure" | "warning" } | undefined {
  const byId = new Map(report.failures.map((f) => [f.test.id, f]));
  return (test) => {
    const failure = byId.get(test.id);
    if (!failure) return undefined;
    const counted = failure.bucket === "new" || failure.bucket === "no-base" || (failure.bucket === "already-failing" && report.conclusion === "failure");
    return { tag: LABELS[failure.bucket], level: counted ? "failure" : "warning" };
  };
}

/**
 * The "why it failed" section of a check run's summary: what the cell was
 * compared with (or that there was nothing), then one row per failing test
 * with its bucket and the evidence (since when, the attempts and failure
 * rate of a flaky test, the quarantine entry), new failures first.
 * Untrusted ids are escaped as everywhere else in the summary.
 */
export function renderFailureReport(report: FailureReport): string {
  const parts = ["### What failed, and why"];
  parts.push(
    "missing" in report.base
      ? `**No base to compare with:** ${escapeMarkdown(report.base.missing)}. Every failure counts until there is one.`
      : `Compared with the same cell on ${escapeMarkdown(report.base.label)} at ${escapeMarkdown(report.base.sha.slice(0, 7))}.`,
  );
  if (report.confirmation) {
    const { tests, counts } = report.confirmation;
    parts.push(
      `Attempt 2, automatic: ${tests} ${tests === 1 ? "test that had never failed before was" : "tests that had never failed before were"} run again once to confirm: ` +
        `${counts.passed} passed, ${counts.failed + counts.error} failed again. Both attempts are kept.`,
    );
  }
  const rows = report.failures.slice(0, MAX_ROWS).map((f) => row(f.test.id, f.bucket, details(f, report)));
  for (const pass of report.flakyPasses.slice(0, Math.max(0, MAX_ROWS - rows.length))) {
    rows.push(row(pass.id, "flaky", `${describeOutcomes(pass.outcomes)} on this commit${rate(pass.failureRate)}`));
  }
  const hidden = report.failures.length + report.flakyPasses.length - rows.length;
  parts.push(["| Test | Verdict | Why |", "|---|---|---|", ...rows].join("\n"));
  if (hidden > 0) parts.push(`_…and ${hidden} more._`);
  return parts.join("\n\n");
}

function row(id: string, bucket: FailureBucket, why: string): string {
  const label = bucket === "new" || bucket === "no-base" ? `**${LABELS[bucket]}**` : LABELS[bucket];
  const shown = truncateText(sanitizeText(id), { maxChars: 200, keep: "middle" });
  return `| <code>${escapeMarkdown(shown)}</code> | ${label} | ${why} |`;
}

function details(failure: ClassifiedFailure, report: FailureReport): string {
  const base = "label" in report.base ? escapeMarkdown(report.base.label) : "the base";
  const notes: string[] = [];
  switch (failure.bucket) {
    case "new":
      notes.push(failure.notInBase ? `not in the base build: a new test` : `passed on ${base}`);
      break;
    case "no-base":
      notes.push("nothing to compare with");
      break;
    case "already-failing":
      if (failure.since) {
        const when = failure.since.at > 0 ? ` (${formatTimestamp(failure.since.at).slice(0, 10)})` : "";
        notes.push(`failing on ${base} ${failure.since.atLeast ? "at least " : ""}since ${escapeMarkdown(failure.since.sha.slice(0, 7))}${when}`);
      } else notes.push(`failed on ${base} too`);
      break;
    case "flaky":
      notes.push(failure.attempts ? `${describeOutcomes(failure.attempts.outcomes)} on ${failure.attempts.on === "this" ? "this commit" : `the base commit`}` : "two outcomes on one commit");
      break;
    case "quarantined": {
      const q = failure.quarantine;
      const until = q?.until ? ` until ${escapeMarkdown(q.until)}` : "";
      const reason = q?.reason ? `: ${escapeMarkdown(q.reason)}` : "";
      notes.push(`quarantined${until}${reason}; otherwise ${LABELS[failure.unquarantined ?? "new"]}`);
      break;
    }
  }
  if (failure.expiredQuarantine) notes.push(`its quarantine ended on ${escapeMarkdown(failure.expiredQuarantine.until ?? "")}`);
  // The failure rate is the evidence for flakiness; for the other buckets it is noise.
  return notes.join("; ") + (failure.bucket === "flaky" ? rate(failure.failureRate) : "");
}

function describeOutcomes(outcomes: readonly TestOutcome[]): string {
  const words = outcomes.map((o) => (o === "error" ? "errored" : o));
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")}, then ${words.at(-1) ?? ""}`;
}

function rate(failureRate: { failed: number; runs: number } | undefined): string {
  return failureRate && failureRate.runs > 1 ? `; failed ${failureRate.failed} of the last ${failureRate.runs} runs` : "";
}

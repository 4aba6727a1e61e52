import type { QuarantineEntry, TestPolicy } from "../domain/test-policy.js";
import type { TestCounts, TestOutcome, TestResult } from "../domain/events.js";
import { matchQuarantine } from "./match-quarantine.js";

/** Why a test failed in this cell: src/domain/failure-bucket.ts. */
export type { FailureBucket } from "../domain/failure-bucket.js";
import type { FailureBucket } from "../domain/failure-bucket.js";

/** One past run of a test, newest first in the lists below. */
export interface PastRun {
  sha: string;
  outcome: TestOutcome;
  finishedAt: number;
}

export type FailureBase =
  | {
      sha: string;
      /** How the base is named: the target branch of a pull request ("main"), or the pushed branch. */
      label: string;
      /** Every outcome of each test in the base commit's finished attempts of this cell. */
      outcomes: ReadonlyMap<string, readonly TestOutcome[]>;
    }
  | { missing: string };

export interface ClassifyFailuresInput {
  /** This attempt's failed and erroring tests. */
  failures: readonly TestResult[];
  /** Ids of the tests that passed in this attempt. */
  passed: readonly string[];
  base: FailureBase;
  /** Outcomes of each test in every finished attempt of this commit and cell, this one included, in the order they ran. */
  sameCommit: ReadonlyMap<string, readonly TestOutcome[]>;
  /** Recent runs of a failing (or flaky) test in this repository and cell, newest first, this attempt excluded. */
  recent: ReadonlyMap<string, readonly PastRun[]>;
  /** Runs of an already-failing test on the base branch, newest first, up to the base build; `limit` = how many were asked for. */
  baseBranch: ReadonlyMap<string, readonly PastRun[]>;
  baseBranchLimit?: number;
  policy: Pick<TestPolicy, "quarantine" | "alreadyFailing">;
  now: number;
}

export interface ClassifiedFailure {
  test: TestResult;
  bucket: FailureBucket;
  /** already-failing: the oldest commit of the failing streak on the base branch (`atLeast`: the streak may be older). */
  since?: { sha: string; at: number; atLeast: boolean };
  /** Failed runs among the recent runs, this attempt included. */
  failureRate?: { failed: number; runs: number };
  /** flaky: the outcomes on the commit that gave two, oldest first ("this" = this commit, "base" = the base). */
  attempts?: { on: "this" | "base"; outcomes: TestOutcome[] };
  /** quarantined: the entry; and what the failure would have counted as. */
  quarantine?: QuarantineEntry;
  unquarantined?: Exclude<FailureBucket, "quarantined">;
  /** A quarantine entry matched but had expired. */
  expiredQuarantine?: QuarantineEntry;
  /** new: the test does not exist in the base build. */
  notInBase?: boolean;
}

/** A test that passed in this attempt after failing in another attempt of the same commit: flaky, not green-washed. */
export interface FlakyPass {
  id: string;
  outcomes: TestOutcome[];
  failureRate?: { failed: number; runs: number };
}

export interface FailureReport {
  base: { sha: string; label: string } | { missing: string };
  /** Ordered: new, no-base, already-failing, flaky, quarantined; each in the order the tests ran. */
  failures: ClassifiedFailure[];
  flakyPasses: FlakyPass[];
  counts: Record<FailureBucket, number>;
  /** The cell's conclusion from its tests: `failure` only when a new, unjudgeable or (unless neutral) already-failing test fails. */
  conclusion: "failure" | "neutral" | "success";
  /** "2 new failures, 1 already failing on main, 1 flaky". */
  headline: string;
  /** The automatic re-run that confirmed (or not) this attempt's failures: its job, how many tests, its counts. */
  confirmation?: { jobId: string; tests: number; counts: TestCounts };
}

const ORDER: readonly FailureBucket[] = ["new", "no-base", "already-failing", "flaky", "quarantined"];
const isFailing = (outcome: TestOutcome) => outcome === "failed" || outcome === "error";
const isPassing = (outcome: TestOutcome) => outcome === "passed" || outcome === "xfail";

/** Classifies every failing test of a cell against its base (pure; table-tested in test/history). */
export function classifyFailures(input: ClassifyFailuresInput): FailureReport {
  const failures = input.failures.map((test) => classifyOne(test, input));
  failures.sort((a, b) => ORDER.indexOf(a.bucket) - ORDER.indexOf(b.bucket));

  const failingIds = new Set(input.failures.map((t) => t.id));
  const flakyPasses: FlakyPass[] = [];
  for (const id of input.passed) {
    const outcomes = input.sameCommit.get(id) ?? [];
    if (failingIds.has(id) || !outcomes.some(isFailing)) continue;
    const pass: FlakyPass = { id, outcomes: [...outcomes] };
    const rate = failureRate(input.recent.get(id), false);
    if (rate) pass.failureRate = rate;
    flakyPasses.push(pass);
  }

  const counts: Record<FailureBucket, number> = { new: 0, "already-failing": 0, flaky: 0, quarantined: 0, "no-base": 0 };
  for (const failure of failures) counts[failure.bucket]++;
  const blocking = counts.new + counts["no-base"] + (input.policy.alreadyFailing === "failure" ? counts["already-failing"] : 0);
  const conclusion = blocking > 0 ? "failure" : counts["already-failing"] > 0 ? "neutral" : "success";
  const base = "missing" in input.base ? { missing: input.base.missing } : { sha: input.base.sha, label: input.base.label };
  return { base, failures, flakyPasses, counts, conclusion, headline: renderHeadline(counts, flakyPasses.length, base) };
}

function classifyOne(test: TestResult, input: ClassifyFailuresInput): ClassifiedFailure {
  const unquarantined = judge(test, input);
  const match = matchQuarantine(test.id, input.policy.quarantine, input.now);
  if (match && !match.expired) {
    return { ...unquarantined, bucket: "quarantined", quarantine: match.entry, unquarantined: unquarantined.bucket as Exclude<FailureBucket, "quarantined"> };
  }
  return match ? { ...unquarantined, expiredQuarantine: match.entry } : unquarantined;
}

function judge(test: TestResult, input: ClassifyFailuresInput): ClassifiedFailure {
  const rate = failureRate(input.recent.get(test.id), true);
  const withRate = <T extends ClassifiedFailure>(failure: T): T => (rate ? { ...failure, failureRate: rate } : failure);

  const here = input.sameCommit.get(test.id) ?? [];
  if (here.some(isPassing)) return withRate({ test, bucket: "flaky", attempts: { on: "this", outcomes: [...here] } });

  if ("missing" in input.base) return withRate({ test, bucket: "no-base" });
  const onBase = input.base.outcomes.get(test.id) ?? [];
  const ran = onBase.filter((o) => isFailing(o) || isPassing(o));
  if (ran.some(isFailing) && ran.some(isPassing)) return withRate({ test, bucket: "flaky", attempts: { on: "base", outcomes: [...onBase] } });
  if (ran.length > 0 && ran.every(isFailing)) {
    return withRate({ test, bucket: "already-failing", since: failingSince(input.base.sha, input.baseBranch.get(test.id) ?? [], input.baseBranchLimit) });
  }
  return withRate(ran.length === 0 && onBase.length === 0 ? { test, bucket: "new", notInBase: true } : { test, bucket: "new" });
}

/** The oldest commit of the run of consecutive failing commits, newest first, starting at the base. */
function failingSince(baseSha: string, runs: readonly PastRun[], limit: number | undefined): { sha: string; at: number; atLeast: boolean } {
  const bySha: { sha: string; outcomes: TestOutcome[]; at: number }[] = [];
  for (const run of runs) {
    const last = bySha.at(-1);
    if (last?.sha === run.sha) {
      last.outcomes.push(run.outcome);
      last.at = Math.min(last.at, run.finishedAt);
    } else bySha.push({ sha: run.sha, outcomes: [run.outcome], at: run.finishedAt });
  }
  const start = bySha.findIndex((c) => c.sha === baseSha);
  let since = { sha: baseSha, at: start >= 0 ? (bySha[start]?.at ?? 0) : 0 };
  let broken = start < 0;
  for (let i = Math.max(start, 0); !broken && i < bySha.length; i++) {
    const commit = bySha[i] as { sha: string; outcomes: TestOutcome[]; at: number };
    if (!commit.outcomes.some(isFailing) || commit.outcomes.some(isPassing)) broken = true;
    else since = { sha: commit.sha, at: commit.at };
  }
  return { ...since, atLeast: !broken && limit !== undefined && runs.length >= limit };
}

function failureRate(runs: readonly PastRun[] | undefined, thisFailed: boolean): { failed: number; runs: number } | undefined {
  const counted = (runs ?? []).filter((r) => isFailing(r.outcome) || isPassing(r.outcome));
  if (counted.length === 0) return undefined;
  return { failed: counted.filter((r) => isFailing(r.outcome)).length + (thisFailed ? 1 : 0), runs: counted.length + 1 };
}

function renderHeadline(counts: Record<FailureBucket, number>, flakyPasses: number, base: FailureReport["base"]): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const parts: string[] = [];
  if (counts.new > 0) parts.push(plural(counts.new, "new failure", "new failures"));
  if (counts["no-base"] > 0) parts.push(`${plural(counts["no-base"], "failure", "failures")} with no base to compare`);
  if (counts["already-failing"] > 0 && "label" in base) parts.push(`${counts["already-failing"]} already failing on ${base.label}`);
  const flaky = counts.flaky + flakyPasses;
  if (flaky > 0) parts.push(`${flaky} flaky`);
  if (counts.quarantined > 0) parts.push(`${counts.quarantined} quarantined`);
  return parts.join(", ");
}

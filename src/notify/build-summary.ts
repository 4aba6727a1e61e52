import type { Cell } from "../domain/cell.js";
import type { Conclusion, TestCounts } from "../domain/events.js";
import type { FailureBucket } from "../history/classify-failures.js";
import type { NotifyEvent } from "../builds/config/notify-config.js";

/** What every channel says about one build: gathered once from the store, rendered per channel (pure renderers). */
export interface BuildSummary {
  event: NotifyEvent;
  buildId: number;
  repo: string;
  branch: string;
  sha: string;
  conclusion: Conclusion;
  /** The dashboard's page of the build. */
  url: string;
  cells: { name: string; cell: Cell; conclusion?: Conclusion; counts?: TestCounts; url: string; attempts: number }[];
  /** Failed and erroring tests, new ones first (then no-base, already-failing, flaky, quarantined, unknown). */
  failures: { test: string; cell: string; bucket?: FailureBucket; location?: string; message?: string; url: string }[];
  /** Failures left out of the lists (too many). */
  moreFailures: number;
}

const BUCKET_ORDER: readonly (FailureBucket | undefined)[] = ["new", "no-base", undefined, "already-failing", "flaky", "quarantined"];

/** Sorts failures new first (see `BuildSummary.failures`), stable within a bucket. */
export function orderFailures<T extends { bucket?: FailureBucket }>(failures: readonly T[]): T[] {
  return [...failures].sort((a, b) => BUCKET_ORDER.indexOf(a.bucket) - BUCKET_ORDER.indexOf(b.bucket));
}

export const BUCKET_LABELS: Readonly<Record<FailureBucket, string>> = {
  new: "new failure",
  "no-base": "failure (nothing to compare with)",
  "already-failing": "already failing",
  flaky: "flaky",
  quarantined: "quarantined",
};

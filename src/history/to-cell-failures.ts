import { MAX_STORED_FAILURES, type CellFailure, type CellFailures } from "../store/cell-failure-rows.js";
import type { FailureReport } from "./classify-failures.js";

/** Test ids longer than this are cut when stored (the results keep them whole). */
const MAX_ID_CHARS = 1_000;

/**
 * The part of a cell's `FailureReport` that is kept with the job (pure): the
 * buckets, the headline and what they were compared with, bounded to
 * MAX_STORED_FAILURES tests and flaky passes; the test results themselves
 * (messages, locations) stay in `test_results`.
 */
export function toCellFailures(report: FailureReport): CellFailures {
  const tests = report.failures.slice(0, MAX_STORED_FAILURES).map((failure): CellFailure => {
    const kept: CellFailure = { id: failure.test.id.slice(0, MAX_ID_CHARS), bucket: failure.bucket };
    if (failure.since) kept.since = failure.since;
    if (failure.failureRate) kept.failureRate = failure.failureRate;
    return kept;
  });
  return {
    headline: report.headline,
    base: report.base,
    counts: { ...report.counts },
    tests,
    flakyPasses: report.flakyPasses.slice(0, MAX_STORED_FAILURES).map((pass) => pass.id.slice(0, MAX_ID_CHARS)),
  };
}

import type { TestCounts } from "../../domain/events.js";

/**
 * Test counts as a phrase: "212 passed, 1 failed", "3 passed, 2 errors,
 * 1 skipped". Passed always shows; the others only when non-zero. "no tests"
 * when nothing ran.
 */
export function formatCounts(counts: TestCounts): string {
  if (counts.total === 0 && counts.passed + counts.failed + counts.error + counts.skipped + counts.xfail + counts.xpass === 0) return "no tests";
  const parts = [`${counts.passed} passed`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.error > 0) parts.push(`${counts.error} ${counts.error === 1 ? "error" : "errors"}`);
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  if (counts.xfail > 0) parts.push(`${counts.xfail} xfailed`);
  if (counts.xpass > 0) parts.push(`${counts.xpass} xpassed`);
  return parts.join(", ");
}

import type { TestCounts } from "../../domain/events.js";
import type { CheckAction } from "./check-run-payload.js";

/** Identifier a "Re-run failed" click arrives with (`check_run.requested_action`). */
export const RERUN_FAILED_ACTION = "rerun-failed";

/**
 * Buttons for a completed check run (GitHub: ≤ 3; label ≤ 20, description
 * ≤ 40, identifier ≤ 20 chars). "Re-run failed" only when some test failed
 * or errored: re-running a cell that never started or passed is GitHub's own
 * "Re-run" button.
 */
export function buildCheckActions(counts: TestCounts): CheckAction[] {
  if (counts.failed + counts.error === 0) return [];
  return [{ label: "Re-run failed", description: "Run only the failed tests again", identifier: RERUN_FAILED_ACTION }];
}

/**
 * Why a test failed in this cell (issue 15):
 * - new: passed on the base (or is not in it): probably this change;
 * - already-failing: failed on the base too;
 * - flaky: gave different outcomes on one commit (this one, or the base);
 * - quarantined: listed under `quarantine:` and not expired: reported, never red;
 * - no-base: there is nothing to compare with; said, not guessed.
 */
export type FailureBucket = "new" | "already-failing" | "flaky" | "quarantined" | "no-base";

import type { Conclusion } from "../domain/events.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { NotifyEvent } from "../builds/config/notify-config.js";

const RED: readonly Conclusion[] = ["failure", "timed_out"];
const GREEN: readonly Conclusion[] = ["success", "neutral"];

/**
 * Whether a finished build is news (pure): "failure" when its tests failed
 * or timed out; "recovery" when it is green and the branch's previous
 * judged build was red; otherwise nothing (green after green, cancelled,
 * infrastructure errors, which are the operator's to see, and builds of no
 * branch: pull requests report on GitHub). `previous` is the newest earlier
 * build of the same repository and branch that ended red or green.
 */
export function decideNotification(build: BuildRecord, previous: BuildRecord | undefined): NotifyEvent | undefined {
  if (build.status.state !== "finished" || build.planState !== "planned" || !build.branch || build.prNumber !== undefined) return undefined;
  const conclusion = build.status.conclusion;
  if (conclusion === undefined) return undefined;
  if (RED.includes(conclusion)) return "failure";
  const before = previous?.status.conclusion;
  if (GREEN.includes(conclusion) && before !== undefined && RED.includes(before)) return "recovery";
  return undefined;
}

/** Whether a build can be the `previous` of a later one: judged red or green. */
export function isJudged(build: BuildRecord): boolean {
  const conclusion = build.status.conclusion;
  return build.status.state === "finished" && conclusion !== undefined && (RED.includes(conclusion) || GREEN.includes(conclusion));
}

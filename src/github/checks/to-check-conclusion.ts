import type { Conclusion } from "../../domain/events.js";
import type { CheckConclusion } from "./check-run-payload.js";

/**
 * GitHub conclusion for a runner conclusion. All map one to one except the
 * infrastructure `error`, which becomes `failure`; its title then says
 * "Infrastructure error: …" (see renderCheckOutput), so nobody hunts for a
 * bug in their code. Why not the alternatives:
 * - `neutral` counts as passing for required status checks (as do success
 *   and skipped), so a pull request whose tests never ran could be merged;
 * - `action_required` asks the *pull-request author* to act and expects a
 *   `details_url` page explaining what to do, but the fix (Docker, the
 *   environment build) is the CI operator's, and the runner already retried.
 * `failure` blocks merging, which is the honest state of untested code, and
 * GitHub's "Re-run" works on it as on any failed run.
 */
export function toCheckConclusion(conclusion: Conclusion): CheckConclusion {
  switch (conclusion) {
    case "success":
      return "success";
    case "failure":
      return "failure";
    case "cancelled":
      return "cancelled";
    case "timed_out":
      return "timed_out";
    case "error":
      return "failure";
    case "neutral":
      // tox's ignore_outcome: the project says this cell's failure must not count.
      return "neutral";
  }
}

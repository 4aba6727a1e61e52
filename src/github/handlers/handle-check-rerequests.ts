import type { CheckRunPayload, CheckSuitePayload } from "./check-payloads.js";
import { rerunCellRequest, rerunFailedRequest } from "../../builds/rerun-requests.js";
import type { HandlerDeps } from "./handler-deps.js";
import { repoRefOf } from "./repo-ref-of.js";
import { handleAggregateRerun } from "./handle-aggregate-rerun.js";

export type { CheckRunPayload, CheckSuitePayload } from "./check-payloads.js";

/** The job a check run reports, found by its external_id, with its build's request. */
function jobOf(payload: CheckRunPayload, deps: HandlerDeps) {
  if (payload.check_run.app && payload.check_run.app.id !== deps.appId) return undefined;
  const job = payload.check_run.external_id ? deps.store.getJob(payload.check_run.external_id) : undefined;
  const build = job ? deps.store.getBuild(job.buildId) : undefined;
  const request = build?.trigger.request;
  return job && request ? { job, request } : undefined;
}

/**
 * "Re-run" on one check run (`check_run.rerequested`): that cell again, as a
 * new check run (a completed one cannot be reopened). The payload has no
 * check_suite: the commit is check_run.head_sha.
 */
export function handleCheckRunRerequested(payload: CheckRunPayload, deps: HandlerDeps, deliveryId?: string): string {
  const aggregate = handleAggregateRerun(payload, deps, deliveryId);
  if (aggregate !== undefined) return aggregate;
  const found = jobOf(payload, deps);
  if (!found) return "ignored: not a check run of ours";
  const request = { ...found.request, repo: repoRefOf(payload.repository, payload.installation?.id ?? found.request.repo.installationId), sha: payload.check_run.head_sha };
  const submitted = deps.builds.submit({ ...rerunCellRequest(request, found.job), deliveryId });
  return submitted ? `build #${submitted.build.id}` : "ignored";
}

/** The "Re-run failed" button (`check_run.requested_action`, identifier rerun-failed): only the failed tests of that cell. */
export function handleRequestedAction(payload: CheckRunPayload, deps: HandlerDeps, deliveryId?: string): string {
  const identifier = "requested_action" in payload ? payload.requested_action?.identifier : undefined;
  if (identifier !== "rerun-failed") return `ignored: action ${identifier ?? "none"}`;
  const aggregate = handleAggregateRerun(payload, deps, deliveryId);
  if (aggregate !== undefined) return aggregate;
  const found = jobOf(payload, deps);
  if (!found) return "ignored: not a check run of ours";
  const failed = deps.store.listTestResults(found.job.id, { outcomes: ["failed", "error"] }).map((t) => t.id);
  const request = { ...found.request, repo: repoRefOf(payload.repository, payload.installation?.id ?? found.request.repo.installationId), sha: payload.check_run.head_sha };
  // No recorded failures (e.g. the suite crashed before any test): the whole cell (rerunFailedRequest).
  const submitted = deps.builds.submit({ ...rerunFailedRequest(request, found.job, failed), deliveryId });
  return submitted ? `build #${submitted.build.id}` : "ignored";
}

/** "Re-run all checks" (`check_suite.rerequested`): every cell of the commit, as new check runs. */
export function handleCheckSuiteRerequested(payload: CheckSuitePayload, deps: HandlerDeps, deliveryId?: string): string {
  if (payload.check_suite.app && payload.check_suite.app.id !== deps.appId) return "ignored: not our check suite";
  const submitted = deps.builds.submit({
    source: "github",
    repo: repoRefOf(payload.repository, payload.installation?.id),
    sha: payload.check_suite.head_sha,
    branch: payload.check_suite.head_branch ?? undefined,
    event: "rerequested",
    rerun: {},
    deliveryId,
  });
  return submitted ? `build #${submitted.build.id}` : "ignored";
}

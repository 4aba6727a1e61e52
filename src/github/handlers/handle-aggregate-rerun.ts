import { aggregateCellsOf } from "../create-aggregate-reporter.js";
import { buildIdOfAggregate, cellsToRerun } from "../checks/decide-aggregate.js";
import type { CheckRunPayload } from "./check-payloads.js";
import type { HandlerDeps } from "./handler-deps.js";
import { repoRefOf } from "./repo-ref-of.js";

/**
 * "Re-run" or "Re-run failed" on the aggregate "Pony CI" run: the cells of
 * the commit that did not pass (failed, timed out, cancelled), as one new
 * build with its own aggregate; every cell when all passed. Undefined when
 * the run is not an aggregate of ours (the caller handles cell runs).
 */
export function handleAggregateRerun(payload: CheckRunPayload, deps: HandlerDeps, deliveryId?: string): string | undefined {
  const buildId = buildIdOfAggregate(payload.check_run.external_id);
  if (buildId === undefined) return undefined;
  if (payload.check_run.app && payload.check_run.app.id !== deps.appId) return "ignored: not a check run of ours";
  const build = deps.store.getBuild(buildId);
  const request = build?.trigger.request;
  if (!build || !request || build.sha !== payload.check_run.head_sha) return "ignored: no such build of this commit";
  const failed = cellsToRerun(aggregateCellsOf(deps.store, build));
  const submitted = deps.builds.submit({
    ...request,
    repo: repoRefOf(payload.repository, payload.installation?.id ?? request.repo.installationId),
    event: "rerequested",
    rerun: failed.length > 0 ? { cells: failed.map((job) => job.cell) } : {},
    deliveryId,
  });
  const what = failed.length > 0 ? `${failed.length} cell(s) that did not pass` : "every cell";
  return submitted ? `build #${submitted.build.id}: ${what} again` : "ignored";
}

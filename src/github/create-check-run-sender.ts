import type { SendWrite } from "../outbox/outbox.js";
import type { JobRows } from "../store/job-rows.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import type { CheckRunWrite } from "./check-run-write.js";
import type { OctokitFor } from "./installation-octokit.js";

/**
 * The outbox's send function for check runs: create (POST) or update
 * (PATCH). A create that may already have reached GitHub before a crash
 * (`inDoubt`) first looks for the run by its external_id, so a restart
 * never shows a cell twice. Failures are thrown and classified by the outbox.
 */
export function createCheckRunSender(options: { octokitFor: OctokitFor; store: Pick<JobRows, "setCheckRunId" | "getJob">; log?: Logger }): SendWrite {
  const log = options.log ?? silentLogger;
  return async (write, context) => {
    const w = write.payload as CheckRunWrite;
    const octokit = await options.octokitFor(w.installationId);
    if (w.create) {
      if (context.inDoubt && w.create.external_id) {
        const { data } = await octokit.rest.checks.listForRef({ owner: w.owner, repo: w.repo, ref: w.create.head_sha, check_name: w.create.name, filter: "all" });
        const found = data.check_runs.find((run) => run.external_id === w.create?.external_id);
        if (found) {
          log.info({ jobId: w.jobId, checkRunId: found.id }, "check run already created before the restart: reusing it");
          if (w.jobId) options.store.setCheckRunId(w.jobId, found.id);
          return { status: "sent", response: { id: found.id } };
        }
      }
      const { data } = await octokit.rest.checks.create({ owner: w.owner, repo: w.repo, ...w.create });
      if (w.jobId) options.store.setCheckRunId(w.jobId, data.id);
      return { status: "sent", response: { id: data.id } };
    }
    const id = w.checkRunId ?? (context.created as { id?: number } | undefined)?.id ?? (w.jobId ? options.store.getJob(w.jobId)?.checkRunId : undefined);
    if (id === undefined) return { status: "rejected", reason: `no check run was created for job ${w.jobId ?? "?"}: nothing to update` };
    await octokit.rest.checks.update({ owner: w.owner, repo: w.repo, check_run_id: id, ...w.update });
    return { status: "sent" };
  };
}

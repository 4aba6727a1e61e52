import type { BuildListener } from "../builds/build-listener.js";
import type { BuildRequest } from "../builds/build-request.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { Outbox } from "../outbox/outbox.js";
import type { Clock } from "../store/clock.js";
import { systemClock } from "../store/clock.js";
import { checkRunName, formatTimestamp } from "./checks/format.js";
import { planCheckWrites } from "./checks/plan-check-writes.js";
import { renderCheckOutput } from "./checks/render-check-output.js";
import { renderProgress } from "./checks/render-progress.js";
import { toCheckConclusion } from "./checks/to-check-conclusion.js";
import { escapeMarkdown } from "./checks/safe-text.js";
import { checkRunKey, type CheckRunWrite } from "./check-run-write.js";
import { jobTestPlanOf } from "../history/job-test-plan.js";

export interface CheckRunReporterOptions {
  outbox: Pick<Outbox, "enqueue">;
  /** Base URL of the build pages: details_url = `${publicUrl}/builds/<id>#<job>`. */
  publicUrl: string;
  clock?: Clock;
}

/**
 * Reports GitHub builds as check runs, one per cell, through the outbox (a
 * configuration error, and the commit's verdict, are the aggregate "Pony CI"
 * run's: create-aggregate-reporter.ts). Write
 * economy: a passing cell costs three writes (queued on planning, in_progress
 * when its container starts, completed with its output); a failing one adds a
 * write per 50 annotations beyond the first 50. Progress writes are coalesced
 * by the outbox (at most one pending per run) and never delay a completion.
 */
export function createCheckRunReporter(options: CheckRunReporterOptions): BuildListener {
  const clock = options.clock ?? systemClock;
  const target = (build: BuildRecord) => {
    const request = build.trigger.request as BuildRequest | undefined;
    if (build.source !== "github" || !request?.repo.installationId) return undefined;
    const [owner = "", repo = ""] = request.repo.name.split("/");
    return { installationId: request.repo.installationId, owner, repo };
  };
  const detailsUrl = (build: BuildRecord, job?: JobRecord) => `${options.publicUrl}/builds/${build.id}${job ? `#job-${job.id}` : ""}`;
  const send = (key: string, kind: string, write: CheckRunWrite) => options.outbox.enqueue({ key, kind, payload: write });

  return {
    planned(build, jobs, notes) {
      const to = target(build);
      if (!to) return;
      for (const job of jobs) {
        const summary = [`Queued: ${escapeMarkdown(checkRunName(job.cell))} of ${build.sha.slice(0, 7)}.`, ...notes.map((n) => `- ${escapeMarkdown(n)}`)].join("\n");
        send(checkRunKey(job.id), "create", {
          ...to,
          jobId: job.id,
          create: {
            name: checkRunName(job.cell),
            head_sha: build.sha,
            status: "queued",
            external_id: job.id,
            details_url: detailsUrl(build, job),
            output: { title: "Queued", summary },
          },
        });
      }
    },

    started(build, job) {
      const to = target(build);
      if (!to) return;
      send(checkRunKey(job.id), "progress", {
        ...to,
        jobId: job.id,
        update: { status: "in_progress", started_at: formatTimestamp(job.startedAt ?? clock.now()), output: { ...renderProgress({ cell: job.cell, counts: emptyish() }) } },
      });
    },

    progress(build, job, counts, failures) {
      const to = target(build);
      if (!to) return;
      send(checkRunKey(job.id), "progress", { ...to, jobId: job.id, update: { status: "in_progress", output: renderProgress({ cell: job.cell, counts, failures }) } });
    },

    retrying(build, job, reason, attempt) {
      const to = target(build);
      if (!to) return;
      send(checkRunKey(job.id), "progress", {
        ...to,
        jobId: job.id,
        update: { status: "in_progress", output: { title: `Retrying (attempt ${attempt}) after an infrastructure error`, summary: escapeMarkdown(reason).slice(0, 4000) } },
      });
    },

    restarted(build, job) {
      const to = target(build);
      if (!to) return;
      send(checkRunKey(job.id), "progress", {
        ...to,
        jobId: job.id,
        update: { status: "queued", output: { title: "Restarted", summary: "The Pony CI server restarted while this cell ran: it runs again from the start." } },
      });
    },

    interrupted(build, job) {
      const to = target(build);
      if (!to) return;
      send(checkRunKey(job.id), "progress", {
        ...to,
        jobId: job.id,
        update: { status: "queued", output: { title: "Interrupted: the server is restarting", summary: "The Pony CI server shut down while this cell ran: it runs again from the start when the server is back." } },
      });
    },

    confirming(build, job, testIds) {
      const to = target(build);
      if (!to) return;
      const what = testIds.length === 1 ? "1 test that never failed before" : `${testIds.length} tests that never failed before`;
      send(checkRunKey(job.id), "progress", {
        ...to,
        jobId: job.id,
        update: { status: "in_progress", output: { title: `Confirming: running ${what} again`, summary: `Every failure of this cell is a test never seen failing before: ${what} ${testIds.length === 1 ? "runs" : "run"} again once before the cell is judged, so that a flaky test is not blamed on this change. Both attempts will be shown.` } },
      });
    },

    finished({ build, job, finished, tests, logTail, failureReport }) {
      const to = target(build);
      if (!to) return;
      const output = renderCheckOutput({ cell: job.cell, finished, tests, logTail, failureReport });
      // Judged already: the job processor records the verdict the failure report gives (judgeCell).
      const conclusion = toCheckConclusion(finished.conclusion);
      const writes = planCheckWrites({ output, conclusion, counts: finished.counts, completedAt: clock.now() });
      for (const update of writes) send(checkRunKey(job.id), "complete", { ...to, jobId: job.id, update });
    },

    cancelled(build, job, reason) {
      const to = target(build);
      // A confirmation re-run has no check run of its own: its original's run reports it.
      if (!to || jobTestPlanOf(job).confirms) return;
      send(checkRunKey(job.id), "complete", {
        ...to,
        jobId: job.id,
        update: {
          status: "completed",
          conclusion: "cancelled",
          completed_at: formatTimestamp(clock.now()),
          output: { title: "Cancelled", summary: `This cell did not run: ${escapeMarkdown(reason)}.` },
        },
      });
    },
  };
}

function emptyish() {
  return { passed: 0, failed: 0, error: 0, skipped: 0, xfail: 0, xpass: 0, total: 0 };
}

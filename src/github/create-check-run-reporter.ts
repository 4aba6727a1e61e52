import type { BuildListener } from "../builds/build-listener.js";
import type { Build } from "../domain/build.js";
import type { Job } from "../domain/job.js";
import type { Outbox } from "../outbox/outbox.js";
import type { Clock } from "../domain/clock.js";
import { systemClock } from "../domain/clock.js";
import { checkRunName, formatTimestamp } from "./checks/format.js";
import { planCheckWrites } from "./checks/plan-check-writes.js";
import { renderCheckOutput } from "./checks/render-check-output.js";
import { renderProgress } from "./checks/render-progress.js";
import { toCheckConclusion } from "./checks/to-check-conclusion.js";
import { escapeMarkdown } from "./checks/safe-text.js";
import { checkRunKey, type CheckRunWrite } from "./check-run-write.js";
import { jobTestPlanOf } from "../history/job-test-plan.js";

export interface CheckRunReporterOptions {
  outbox: Pick<Outbox, "enqueue" | "list">;
  /** Base URL of the build pages: details_url = `${publicUrl}/builds/<id>#<job>`. */
  publicUrl: string;
  clock?: Clock;
  /**
   * Cells that run at once (PONYCI_CONCURRENCY). A planned cell that will
   * start at once gets no "queued" create: its run is created in progress
   * when it starts, so a passing cell costs two writes. Undefined: every
   * cell is created queued.
   */
  cellSlots?: number;
  /** At most one progress update per cell this often. Default 10 s. */
  progressEveryMs?: number;
}

/**
 * Reports GitHub builds as check runs, one per cell, through the outbox (a
 * configuration error, and the commit's verdict, are the aggregate "Pony CI"
 * run's: create-aggregate-reporter.ts). Write economy: a passing cell that
 * starts at once costs two writes (created in progress when its container
 * starts, completed with its output); one that waits for a free slot is
 * created queued when planned, so it shows at once, and costs three (unless
 * its start folds into a create still waiting in the outbox). A failing cell
 * adds a write per 50 annotations beyond the first 50. Progress is at most
 * one write per cell per `progressEveryMs`, coalesced by the outbox (at most
 * one pending per run), and never delays a completion. A cell cancelled
 * before its run was created costs nothing.
 */
export function createCheckRunReporter(options: CheckRunReporterOptions): BuildListener {
  const clock = options.clock ?? systemClock;
  const target = (build: Build) => {
    const request = build.trigger.request;
    if (build.source !== "github" || !request?.repo.installationId) return undefined;
    const [owner = "", repo = ""] = request.repo.name.split("/");
    return { installationId: request.repo.installationId, owner, repo };
  };
  const detailsUrl = (build: Build, job?: Job) => `${options.publicUrl}/builds/${build.id}${job ? `#job-${job.id}` : ""}`;
  const send = (key: string, kind: string, write: CheckRunWrite) => options.outbox.enqueue({ key, kind, payload: write });
  /** Whether the cell's run was (or is about to be) created: only then can it be updated. */
  const hasRun = (jobId: string) => options.outbox.list(checkRunKey(jobId)).some((w) => w.kind === "create");
  /** What happens to a cell whose run exists, as its status and output (a GitHub build's only). */
  const tell = (build: Build, job: Job, status: "queued" | "in_progress", title: string, summary: string) => {
    const to = target(build);
    if (!to || !hasRun(job.id)) return;
    send(checkRunKey(job.id), "progress", { ...to, jobId: job.id, update: { status, output: { title, summary } } });
  };
  /** Cells planned and not ended, across every build: what decides whether a new cell starts at once. */
  const active = new Set<string>();
  const lastProgress = new Map<string, number>();
  const progressEveryMs = options.progressEveryMs ?? 10_000;
  const ended = (jobId: string) => {
    active.delete(jobId);
    lastProgress.delete(jobId);
  };

  return {
    planned(build, jobs, notes) {
      const free = options.cellSlots === undefined ? 0 : Math.max(0, options.cellSlots - active.size);
      for (const job of jobs) active.add(job.id);
      const to = target(build);
      if (!to) return;
      // The first `free` cells start at once (the queue is FIFO): created in progress when they start.
      for (const job of jobs.slice(free)) {
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
      active.add(job.id);
      lastProgress.set(job.id, clock.now());
      const to = target(build);
      if (!to) return;
      const running = { status: "in_progress" as const, started_at: formatTimestamp(job.startedAt ?? clock.now()), output: { ...renderProgress({ cell: job.cell, counts: emptyish() }) } };
      if (hasRun(job.id)) {
        send(checkRunKey(job.id), "progress", { ...to, jobId: job.id, update: running });
        return;
      }
      send(checkRunKey(job.id), "create", {
        ...to,
        jobId: job.id,
        create: { name: checkRunName(job.cell), head_sha: build.sha, external_id: job.id, details_url: detailsUrl(build, job), ...running },
      });
    },

    progress(build, job, counts, failures) {
      const to = target(build);
      if (!to || !hasRun(job.id)) return;
      const now = clock.now();
      if (now - (lastProgress.get(job.id) ?? 0) < progressEveryMs) return;
      lastProgress.set(job.id, now);
      send(checkRunKey(job.id), "progress", { ...to, jobId: job.id, update: { status: "in_progress", output: renderProgress({ cell: job.cell, counts, failures }) } });
    },

    retrying(build, job, reason, attempt) {
      tell(build, job, "in_progress", `Retrying (attempt ${attempt}) after an infrastructure error`, escapeMarkdown(reason).slice(0, 4000));
    },

    restarted(build, job) {
      tell(build, job, "queued", "Restarted", "The Pony CI server restarted while this cell ran: it runs again from the start.");
    },

    interrupted(build, job) {
      tell(build, job, "queued", "Interrupted: the server is restarting", "The Pony CI server shut down while this cell ran: it runs again from the start when the server is back.");
    },

    confirming(build, job, testIds) {
      const what = testIds.length === 1 ? "1 test that never failed before" : `${testIds.length} tests that never failed before`;
      tell(build, job, "in_progress", `Confirming: running ${what} again`, `Every failure of this cell is a test never seen failing before: ${what} ${testIds.length === 1 ? "runs" : "run"} again once before the cell is judged, so that a flaky test is not blamed on this change. Both attempts will be shown.`);
    },

    finished({ build, job, finished, tests, logTail, failureReport }) {
      ended(job.id);
      const to = target(build);
      if (!to) return;
      const output = renderCheckOutput({ cell: job.cell, finished, tests, logTail, failureReport });
      // Judged already: the job processor records the verdict the failure report gives (judgeCell).
      const conclusion = toCheckConclusion(finished.conclusion);
      const writes = planCheckWrites({ output, conclusion, counts: finished.counts, completedAt: clock.now() });
      // A cell that ended without starting (given up after crashes) has no run yet: its completion creates it.
      const [first, ...rest] = hasRun(job.id) ? [undefined, ...writes] : writes;
      if (first) send(checkRunKey(job.id), "complete", { ...to, jobId: job.id, create: { name: checkRunName(job.cell), head_sha: build.sha, external_id: job.id, details_url: detailsUrl(build, job), ...first } });
      for (const update of rest) if (update) send(checkRunKey(job.id), "complete", { ...to, jobId: job.id, update });
    },

    cancelled(build, job, reason) {
      ended(job.id);
      const to = target(build);
      // A confirmation re-run has no check run of its own: its original's run reports it.
      // A cell cancelled before its run was created never showed: nothing to write.
      if (!to || jobTestPlanOf(job).confirms || !hasRun(job.id)) return;
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

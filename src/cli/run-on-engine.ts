import path from "node:path";
import type { BuildRequest } from "../domain/build-request.js";
import type { Logger } from "../domain/logger.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { Store } from "../store/store.js";
import { openStore } from "../store/open-store.js";
import { createEmbeddedQueue } from "../queue/create-embedded-queue.js";
import { isOwnerDead } from "../queue/owner-id.js";
import type { Backoff } from "../queue/exponential-backoff.js";
import { createBuildService, type CellJobPayload } from "../builds/create-build-service.js";
import { createJobProcessor } from "../builds/create-job-processor.js";
import { fanOut, type BuildListener } from "../builds/build-listener.js";
import { errorFate } from "../domain/error-fate.js";
import { planningFileLimit } from "../builds/plan-from-repo-files.js";
import type { DjangoSupportTable } from "../builds/versions/django-support.js";
import { createFailureAnalyst } from "../history/create-failure-analyst.js";
import type { LocalRunner } from "../../runner/src/create-local-runner.js";

/**
 * `ponyci run`'s own data: a store of its own under the data directory, so
 * that a server sharing the data directory never takes (or even sees) a
 * run's jobs, and every run finds the runs before it: failed-first order,
 * the test timings, "never seen failing before" for confirmations.
 */
export function cliDataDir(dataDir: string): string {
  return path.join(dataDir, "cli");
}

const CANCELLED_BY_SIGNAL = "cancelled by a signal (Ctrl-C)";

export interface RunOnEngineOptions {
  /** The data directory's settings: the store goes to cliDataDir(dataDir). */
  dataDir: string;
  /** Bytes of log kept per job in the store. */
  logLimitBytes?: number;
  log: Logger;
  runner: LocalRunner;
  /** Cells at once (--jobs): the queue's concurrency. */
  concurrency: number;
  /** The terminal's and the reports'; they hear what the server's reporters hear. */
  listeners: BuildListener[];
  /** What planning needs, asked once by the CLI (also for --list). */
  planning: { maxCells: number; djangoSupport: DjangoSupportTable; availablePython?: readonly string[]; installedPython?: readonly string[] };
  /** Aborts the run: queued cells are cancelled, running ones stopped (their verdict: cancelled). */
  signal?: AbortSignal;
  /** Tests: a shorter lease and backoff. */
  queueOptions?: { leaseMs?: number; maxAttempts?: number; backoff?: Backoff; pollMs?: number };
}

export interface EngineRun {
  build: BuildRecord;
  /** The planned jobs, as they ended (none after a config error). */
  jobs: JobRecord[];
}

/**
 * Runs one `ponyci run` build on the server's engine: the build service
 * plans it (the same planCells, flags and posargs from the request), the
 * embedded queue schedules its cells (`concurrency` at a time, retrying an
 * infrastructure failure as for the server), the job processor runs them
 * and records results, test history and confirmations in the store, and the
 * listeners report. Numbered steps:
 * 1. open the CLI's store (migrated), sweep what dead runs left unfinished;
 * 2. submit the request: plan (a failure rejects: the user waits, nothing retries);
 * 3. run its jobs, and only its jobs, until each has ended (finished or cancelled);
 * 4. stop the queue and close the store.
 * Resolves when every planned cell ended; rejects when planning failed on
 * infrastructure (git, the file system).
 */
export async function runOnEngine(request: BuildRequest, options: RunOnEngineOptions): Promise<EngineRun> {
  const { log, runner } = options;
  const store = openStore({ dataDir: cliDataDir(options.dataDir), log, logLimitBytes: options.logLimitBytes });
  // The jobs this run planned: its queue takes these alone, and the run is over once each has ended.
  const mine = new Set<string>();
  const ended = new Set<string>();
  let allEnded: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allEnded = resolve));
  const end = (jobId: string) => {
    if (!mine.has(jobId)) return;
    ended.add(jobId);
    if (ended.size === mine.size) allEnded();
  };
  const tracker: BuildListener = {
    planned: (_build, jobs) => {
      for (const job of jobs) mine.add(job.id);
    },
    finished: ({ job }) => end(job.id),
    cancelled: (_build, job) => end(job.id),
  };
  const listeners = [tracker, ...options.listeners];
  const queue = createEmbeddedQueue<CellJobPayload>({ store, concurrency: options.concurrency, log, accepts: (jobId) => mine.has(jobId), ...options.queueOptions });
  const builds = createBuildService({
    store,
    queue,
    listeners,
    log,
    retryPlanning: false,
    maxCells: options.planning.maxCells,
    djangoSupport: { get: async () => options.planning.djangoSupport },
    availablePython: options.planning.availablePython,
    installedPython: async () => options.planning.installedPython,
    readFiles: (req, paths) => runner.checkout.readFiles({ url: req.repo.cloneUrl, sha: req.sha }, paths, { maxBytes: planningFileLimit }),
    readCommit: async (req) => {
      const commit = await runner.checkout.readCommit({ url: req.repo.cloneUrl, sha: req.sha });
      return { message: commit.message, author: commit.authorName };
    },
  });
  const processor = createJobProcessor({ store, runner: runner.cells, listeners, log, analyst: createFailureAnalyst({ store }) });
  const sweep = () => sweepDeadRuns(store, (jobId) => queue.cancel(jobId));
  // A cell whose run threw its cancellation (stopped while its environment was built, say) is reported by whoever
  // cancelled it (the queue port's rule): here, this run. Without this the run would wait for it for ever.
  const notify = fanOut(listeners, (error, hook) => log.error({ err: error, hook }, "a build listener failed"));
  const reportCancelled = (jobId: string) => {
    const job = store.getJob(jobId);
    if (!job || !mine.has(jobId) || job.state === "finished" || job.state === "cancelled") return;
    store.recordJobCancelled(jobId);
    const build = store.getBuild(job.buildId);
    const cancelled = store.getJob(jobId);
    if (build && cancelled) notify.cancelled(build, cancelled, CANCELLED_BY_SIGNAL);
  };
  try {
    // 1. Runs killed before they ended: their cells end as cancelled (nobody waits for them any more).
    await queue.recover();
    await sweep();
    queue.start(processor.process, {
      onFailed: (failure) => {
        processor.hooks.onFailed(failure);
        if (errorFate(failure.error) === "cancel") reportCancelled(failure.job.payload.jobId);
      },
      onRecovered: sweep,
    });
    // 2. Plan.
    const submitted = builds.submit(request);
    if (!submitted) throw new Error("ponyci run: the build service refused the run's build");
    await submitted.planned;
    const build = store.getBuild(submitted.build.id) ?? submitted.build;
    if (build.planState !== "planned" || mine.size === 0) return { build, jobs: [] };
    // 3. Run until each cell ended; a signal cancels them through the service (queued: removed; running: aborted).
    const cancel = () => void builds.cancelJobs(store.listJobs(build.id).filter((job) => mine.has(job.id) && !ended.has(job.id)), CANCELLED_BY_SIGNAL);
    if (options.signal?.aborted) cancel();
    options.signal?.addEventListener("abort", cancel, { once: true });
    try {
      await done;
    } finally {
      options.signal?.removeEventListener("abort", cancel);
    }
    return { build, jobs: store.listJobs(build.id).filter((job) => mine.has(job.id)) };
  } finally {
    // 4. Nothing of ours runs any more; nothing else is ours to stop.
    // Every cell of ours ended: running entries are only settling (a cancelled run too), so the grace is not waited out.
    await queue.stop({ graceMs: 30_000 });
    store.close();
  }
}

/**
 * The unfinished jobs of runs whose process is gone (`ponyci run` killed
 * with SIGKILL, a closed terminal): cancelled, in the queue and the store.
 * A run is named by its request's `deliveryId`, the owner id of the process
 * that asked for it; live runs' jobs are left alone.
 */
async function sweepDeadRuns(store: Store, cancel: (jobId: string) => Promise<unknown>): Promise<void> {
  for (const job of store.listUnfinishedJobs()) {
    const owner = store.getBuild(job.buildId)?.trigger.request?.deliveryId;
    if (owner === undefined || !isOwnerDead(owner)) continue;
    await cancel(job.id);
    store.recordJobCancelled(job.id);
  }
}

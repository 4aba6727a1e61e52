import { requestOf } from "../domain/build.js";
import { randomBytes } from "node:crypto";
import type { CommitSummary } from "../domain/build-request.js";
import type { BuildRequest } from "../domain/build-request.js";
import { fanOut, type BuildListener } from "./build-listener.js";
import { storeJobPlan } from "./job-plan.js";
import { planFromRepoFiles } from "./plan-from-repo-files.js";
import type { MatrixPlan } from "./plan-matrix.js";
import { planCells } from "./plan-cells.js";
import type { JobSpec } from "../domain/job-spec.js";
import { RepoConfigError } from "./config/repo-config-error.js";
import { repoConfigPaths } from "./config/repo-config.js";
import type { Store } from "../store/store.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord, NewJob } from "../store/job-rows.js";
import type { JobQueue } from "../queue/job-queue.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import type { DjangoSupportSource } from "./versions/create-django-support-source.js";

/** Reads files of a repository at a commit (GitHub's contents API, or the git mirror). */
export type ReadRepoFiles = (request: BuildRequest, paths: string[]) => Promise<Map<string, string | undefined>>;

/** Delays before planning a build again after an infrastructure failure. */
const PLAN_RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000];
/**
 * Attempts to plan one build, across restarts, before it is given up as a
 * config error: a commit whose planning crashes the server (or keeps
 * failing) must not be re-planned at every start for ever.
 */
export const MAX_PLAN_ATTEMPTS = 8;
/** Re-exported: where planning's size bound lives now. */
export { MAX_PLANNING_FILE_BYTES } from "./plan-from-repo-files.js";

/** What the queue carries: the job id; everything else is in the store. */
export interface CellJobPayload {
  jobId: string;
}

export interface BuildServiceOptions {
  store: Store;
  queue: JobQueue<CellJobPayload>;
  readFiles: ReadRepoFiles;
  /**
   * The commit's message and author for builds whose request has none (bridge
   * and CLI builds: from the git mirror planning just read). Shown by the
   * dashboards; a failure only leaves them out.
   */
  readCommit?: (request: BuildRequest) => Promise<CommitSummary | undefined>;
  listeners: BuildListener[];
  log?: Logger;
  maxCells?: number;
  /**
   * Python versions the installation has images for (this host's and what
   * remote runners advertise), asked before each planning; a cell of
   * another Python is left out with a note saying so. Undefined (or an
   * empty answer): no cell is left out for its Python.
   */
  availablePython?: readonly string[] | (() => Promise<readonly string[] | undefined>);
  /** Those of them that already have an image (the default matrix uses these); default: all of them. */
  installedPython?: () => Promise<readonly string[] | undefined>;
  /** Django's support table, asked before each planning (default: the shipped snapshot). */
  djangoSupport?: DjangoSupportSource;
  /**
   * Default true: planning that fails on infrastructure is tried again
   * later. False (`ponyci run`, whose user waits): `plan()` rejects with the
   * error, and nothing tries again.
   */
  retryPlanning?: boolean;
}

export interface BuildService {
  /**
   * Records the request (durably) and returns at once; planning (reading the
   * repo config, creating jobs, enqueueing) follows in the background.
   * Returns undefined when the commit was already built (push + pull_request
   * of one commit) — older commits of the branch or PR are superseded anyway.
   */
  submit(request: BuildRequest): { build: BuildRecord; planned: Promise<void> } | undefined;
  /**
   * Plans a pending build: reads the config at the commit, creates and
   * enqueues jobs. Safe to call twice. Never rejects: an infrastructure
   * failure is logged and planning tried again later (unless
   * `retryPlanning` is false: then it rejects with that failure).
   */
  plan(buildId: number): Promise<void>;
  /** At start-up: plan builds recorded but not planned before a crash. */
  planPending(): Promise<void>;
  /** Cancels jobs (queued or running); their reporters hear "cancelled". */
  cancelJobs(jobs: JobRecord[], reason: string): Promise<void>;
}

/**
 * The build planner (DESIGN.md: src/builds). Numbered steps:
 * 1. record the request as a pending build (dedupe same repo+sha);
 * 2. supersede older commits of the same branch or pull request;
 * 3. read the repo config at the commit and expand the matrix;
 * 4. record the jobs with the plan, tell listeners, enqueue.
 */
export function createBuildService(options: BuildServiceOptions): BuildService {
  const { store, queue } = options;
  const log = options.log ?? silentLogger;
  const notify = fanOut(options.listeners, (error, hook) => log.error({ err: error, hook }, "a build listener failed"));
  const planning = new Map<number, Promise<void>>();
  const planTries = new Map<number, number>();

  const service: BuildService = {
    submit(request) {
      // 1. Dedupe: a commit is built once, however many events name it. Each `ponyci run` is a build of its own.
      if (!request.rerun && !request.upstream && request.source !== "cli") {
        const existing = store.findBuilds({ repo: request.repo.name, sha: request.sha }).filter((b) => !isRerun(b));
        if (existing.length > 0) {
          log.info({ repo: request.repo.name, sha: request.sha, build: existing[0]?.id }, "commit already built: not building it again");
          supersede(request, existing[0]?.id ?? 0).catch((error) => log.error({ err: error }, "superseding older commits failed"));
          return undefined;
        }
      }
      const { build } = store.createBuild({
        repo: request.repo.name,
        source: request.source,
        visibility: request.repo.visibility,
        sha: request.sha,
        branch: request.branch,
        prNumber: request.prNumber,
        event: request.event,
        trigger: { request },
        planState: "pending",
      });
      return { build, planned: service.plan(build.id) };
    },

    plan(buildId) {
      let pending = planning.get(buildId);
      if (!pending) {
        pending = planBuild(buildId)
          .catch((error) => {
            if (options.retryPlanning === false) throw error;
            retryPlanLater(buildId, error);
          })
          .finally(() => planning.delete(buildId));
        planning.set(buildId, pending);
      }
      return pending;
    },

    async planPending() {
      for (const build of store.listPendingBuilds()) await service.plan(build.id);
    },

    async cancelJobs(jobs, reason) {
      for (const job of jobs) {
        const outcome = await queue.cancel(job.id);
        // A running job's processor reports its own cancellation when it stops.
        if (outcome === "aborted" || outcome === "requested") continue;
        if (store.recordJobCancelled(job.id)) {
          const build = store.getBuild(job.buildId);
          const current = store.getJob(job.id);
          if (build && current) notify.cancelled(build, current, reason);
        }
      }
    },
  };
  return service;

  /**
   * Planning failed on infrastructure (GitHub or git unreachable): the build
   * stays pending and is planned again later, with growing delays; after
   * the last try it waits for the next start (planPending).
   */
  function retryPlanLater(buildId: number, error: unknown): void {
    const tries = (planTries.get(buildId) ?? 0) + 1;
    planTries.set(buildId, tries);
    const delayMs = PLAN_RETRY_DELAYS_MS[tries - 1];
    log.warn({ build: buildId, tries, err: error }, delayMs === undefined ? "planning failed: giving up until the next start" : `planning failed: trying again in ${delayMs} ms`);
    if (delayMs === undefined) return;
    setTimeout(() => void service.plan(buildId), delayMs).unref();
  }

  async function planBuild(buildId: number): Promise<void> {
    const build = store.getBuild(buildId);
    if (!build || build.planState !== "pending") return;
    const request = requestOf(build);
    const attempts = store.notePlanAttempt(build.id);
    if (attempts > MAX_PLAN_ATTEMPTS) {
      const error = new RepoConfigError({
        file: repoConfigPaths[0] ?? ".github/ponyci.yml",
        message: `Pony CI tried to plan this commit ${MAX_PLAN_ATTEMPTS} times and failed each time (GitHub unreachable, or planning stopped the server). Push again or re-run to try once more.`,
      });
      const recorded = store.recordBuildPlan(build.id, { state: "config-error", details: { error: { message: error.message, file: error.file, line: error.line } }, jobs: [] });
      if (recorded) notify.configError(recorded.build, error);
      return;
    }

    // 2. Supersede older commits of the same branch / pull request.
    await supersede(request, build.id);

    // 3. Read the config and plan the matrix.
    let plan: MatrixPlan;
    let jobs: NewJob[];
    let source: string;
    let notes: string[];
    try {
      ({ plan, jobs, source, notes } = await readAndPlan(request));
    } catch (error) {
      if (!(error instanceof RepoConfigError)) throw error; // infrastructure: stays pending, retried at the next start
      const recorded = store.recordBuildPlan(build.id, {
        state: "config-error",
        details: { error: { message: error.message, file: error.file, line: error.line } },
        jobs: [],
      });
      if (recorded) notify.configError(recorded.build, error);
      return;
    }

    // 4. Jobs, listeners, queue. Ids are unique beyond this database: they
    // are check runs' external_id, which outlive a reinstalled server.
    const salt = randomBytes(3).toString("hex");
    jobs = jobs.map((job, i) => ({ ...job, id: `${build.id}-${i + 1}-${salt}` }));
    const commit = request.commit ?? (await options.readCommit?.(request).catch(() => undefined));
    // `schedule`: what the scheduler reads, from the default branch's latest build (src/schedules).
    const schedule = plan.config.schedule.length > 0 ? { schedule: plan.config.schedule } : {};
    const recorded = store.recordBuildPlan(build.id, { state: "planned", details: { source, notes, testPolicy: plan.config.tests, ...(plan.config.notify ? { notify: plan.config.notify } : {}), ...(commit ? { commit } : {}), ...schedule }, jobs });
    if (!recorded) return;
    notify.planned(recorded.build, recorded.jobs, notes);
    // A merge group's cells go first: GitHub's merge queue, and every pull request in it, waits on them.
    for (const job of recorded.jobs) await queue.enqueue(job.id, { jobId: job.id }, { first: request.event === "merge_group" });
  }

  /** Plans from the files at the commit (planFromRepoFiles: one round of reads, more for `-r` includes; planCells decides). */
  async function readAndPlan(request: BuildRequest): Promise<{ plan: MatrixPlan; source: string; notes: string[]; jobs: NewJob[] }> {
    const djangoSupport = await options.djangoSupport?.get();
    const listed = typeof options.availablePython === "function" ? await options.availablePython() : options.availablePython;
    const availablePython = listed && listed.length > 0 ? listed : undefined;
    const installedPython = availablePython ? await options.installedPython?.() : undefined;
    return planFromRepoFiles((paths) => options.readFiles(request, paths), (read, files) => {
      const { plan, source, notes, cells, specs } = planCells(read, files, request, { maxCells: options.maxCells, availablePython, installedPython, djangoSupport });
      const jobs = cells.map((cell, i) => ({ cell, external: storeJobPlan(specs[i] as JobSpec, request.rerun?.ofJob) as Record<string, unknown> }));
      return { plan, source, notes, jobs };
    });
  }

  async function supersede(request: BuildRequest, byBuildId: number): Promise<void> {
    // `ponyci run`s of one project may run side by side (two working-tree states): none supersedes another.
    if (request.rerun || request.upstream || request.source === "cli" || (!request.branch && request.prNumber === undefined)) return;
    const stale = store.findJobsToSupersede({ repo: request.repo.name, branch: request.prNumber === undefined ? request.branch : undefined, prNumber: request.prNumber, exceptSha: request.sha });
    if (stale.length === 0) return;
    store.markJobsSuperseded(stale.map((j) => j.id), byBuildId);
    log.info({ repo: request.repo.name, jobs: stale.length, by: byBuildId }, "superseding older commits' jobs");
    await service.cancelJobs(stale, `superseded by ${request.sha.slice(0, 7)}`);
  }
}

function isRerun(build: BuildRecord): boolean {
  const request = build.trigger.request;
  return Boolean(request?.rerun || request?.upstream);
}

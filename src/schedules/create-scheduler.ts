import type { RepoRef } from "../domain/build-request.js";
import type { BuildService } from "../builds/create-build-service.js";
import type { PrivateRepo } from "../bridge/private-repo.js";
import { isLiteralBranch } from "../bridge/match-branch.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import type { BuildSource } from "../store/build-rows.js";
import { systemClock, type Clock } from "../domain/clock.js";
import { isDue } from "./is-due.js";
import type { ScheduleEntry } from "../builds/config/read-schedule.js";
import type { ScheduleRows } from "./schedule-rows.js";

/** One schedule of one repository: where it came from and since when it counts. */
interface ScheduleTarget {
  source: BuildSource;
  repo: RepoRef;
  entry: ScheduleEntry;
  branches: string[];
  /** Ticks before this never build (when the schedule was first seen). */
  since: number;
}

export interface SchedulerOptions {
  rows: ScheduleRows;
  /** The private repositories' file (`schedule:` per repository). */
  privateRepos: readonly PrivateRepo[];
  builds: Pick<BuildService, "submit">;
  /** The commit a branch points to now (GitHub's API, or `git ls-remote` for a private server). */
  resolveHead(target: { source: BuildSource; repo: RepoRef }, branch: string): Promise<string>;
  clock?: Clock;
  log?: Logger;
  /** How often schedules are looked at. Default 60 s (cron's resolution is a minute). */
  intervalMs?: number;
}

export interface Scheduler {
  /** Builds every schedule due now, once each; returns what it submitted ("repo@branch #build"). */
  tick(): Promise<string[]>;
  /** Ticks now (a schedule missed while the server was down runs once, at start), then every interval. Returns stop. */
  start(): () => void;
}

/**
 * Scheduled builds (`schedule:` in `.github/ponyci.yml` on the default
 * branch, and in the private repositories' file). A tick builds the
 * branch's head as it is at that moment, even a commit built before (the
 * point is new releases of its dependencies): a build of event `schedule`,
 * shown on the dashboards and reported as check runs on that commit. The
 * last tick of each schedule is the latest such build (`request.schedule.at`),
 * so a restart neither repeats a tick nor runs the ones it missed more than once.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLogger;
  const startedAt = clock.now();

  const targets = (): ScheduleTarget[] => {
    const found: ScheduleTarget[] = [];
    for (const build of options.rows.githubScheduleBuilds()) {
      const request = build.trigger.request;
      const branch = request?.repo.defaultBranch;
      if (!request || !branch) continue;
      for (const entry of build.plan.schedule as ScheduleEntry[]) found.push({ source: "github", repo: request.repo, entry, branches: entry.branches ?? [branch], since: build.createdAt });
    }
    for (const repo of options.privateRepos) {
      const main = repo.branches?.find(isLiteralBranch) ?? "main";
      const ref: RepoRef = { name: repo.name, cloneUrl: repo.url, visibility: repo.visibility, defaultBranch: main };
      for (const entry of repo.schedule ?? []) found.push({ source: "bridge", repo: ref, entry, branches: entry.branches ?? [main], since: startedAt });
    }
    return found;
  };

  const tick = async (): Promise<string[]> => {
    const now = clock.now();
    const submitted: string[] = [];
    for (const target of targets()) {
      for (const branch of target.branches) {
        const since = options.rows.lastTick(target.repo.name, branch, target.entry.cron) ?? target.since;
        if (!isDue(target.entry.cron, since, now)) continue;
        let sha: string;
        try {
          sha = await options.resolveHead(target, branch);
        } catch (error) {
          // Tried again at the next interval: the tick is not recorded until it builds.
          log.warn({ repo: target.repo.name, branch, err: error }, "scheduled build: could not find the branch's head; trying again later");
          continue;
        }
        const result = options.builds.submit({
          source: target.source,
          repo: target.repo,
          sha,
          branch,
          event: "schedule",
          // Never deduplicated against the commit's earlier builds: a nightly run re-tests the same commit.
          rerun: {},
          schedule: { cron: target.entry.cron, at: now },
        });
        if (!result) continue;
        result.planned.catch((error: unknown) => log.error({ build: result.build.id, err: error }, "planning a scheduled build failed"));
        log.info({ repo: target.repo.name, branch, cron: target.entry.cron, build: result.build.id }, "scheduled build");
        submitted.push(`${target.repo.name}@${branch} #${result.build.id}`);
      }
    }
    return submitted;
  };

  return {
    tick,
    start() {
      const stopping = new AbortController();
      void (async () => {
        while (!stopping.signal.aborted) {
          await tick().catch((error: unknown) => log.error({ err: error }, "scheduled builds: a tick failed"));
          await clock.sleep(options.intervalMs ?? 60_000, stopping.signal);
        }
      })();
      return () => stopping.abort();
    },
  };
}

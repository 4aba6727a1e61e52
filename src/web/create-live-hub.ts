import type { BuildListener } from "../builds/build-listener.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import { emptyCounts, type TestCounts, type TestResult } from "../domain/events.js";
import { tileState } from "./format.js";

/** What a cell page hears while its job runs. `index` counts lines of this attempt from 1. */
export type JobLiveEvent =
  | { kind: "lines"; attempt: number; first: number; lines: string[] }
  | { kind: "counts"; counts: TestCounts; failures: TestResult[] }
  | { kind: "started"; attempt: number }
  | { kind: "ended"; state: string };

/** What build and list pages hear: a cell's tile changed (or a build appeared). */
export interface TileEvent {
  build: Pick<BuildRecord, "id" | "repo" | "source" | "visibility">;
  jobId?: string;
  state: string;
  buildState: string;
}

export interface LiveSnapshot {
  attempt: number;
  lines: readonly string[];
  droppedLines: number;
  counts: TestCounts;
}

/**
 * The dashboards' fan-out: a build listener that keeps, for each job running
 * in this process, the lines and counts of its current attempt (bounded by the
 * log limit, like the store), and passes changes to subscribers. Lines are
 * batched per event-loop turn so that a chatty cell and many open pages cost
 * one serialisation per batch, not per line and page. Taking a snapshot and
 * subscribing happen in one synchronous step, so a page opened mid-run gets
 * every line exactly once.
 */
export interface LiveHub extends BuildListener {
  snapshot(jobId: string): LiveSnapshot | undefined;
  /** Snapshot and subscription at once; returns the snapshot (undefined when the job is not running here) and an unsubscribe. */
  watchJob(jobId: string, onEvent: (event: JobLiveEvent) => void): { snapshot: LiveSnapshot | undefined; stop: () => void };
  watchTiles(onEvent: (event: TileEvent) => void): () => void;
  /** Subscribers now (for metrics and the benchmark). */
  readonly subscribers: number;
}

interface Running extends LiveSnapshot {
  lines: string[];
  bytes: number;
  pending: string[];
  pendingFirst: number;
  failures: TestResult[];
  countsDirty: boolean;
}

export function createLiveHub(options: { logLimitBytes: number }): LiveHub {
  const running = new Map<string, Running>();
  const jobWatchers = new Map<string, Set<(event: JobLiveEvent) => void>>();
  const tileWatchers = new Set<(event: TileEvent) => void>();
  const dirty = new Set<string>();
  let scheduled = false;

  const emit = (jobId: string, event: JobLiveEvent) => {
    for (const watcher of jobWatchers.get(jobId) ?? []) watcher(event);
  };
  const flush = () => {
    scheduled = false;
    for (const jobId of dirty) {
      const live = running.get(jobId);
      if (!live) continue;
      if (live.pending.length > 0) {
        emit(jobId, { kind: "lines", attempt: live.attempt, first: live.pendingFirst, lines: live.pending });
        live.pending = [];
      }
      if (live.countsDirty) {
        live.countsDirty = false;
        emit(jobId, { kind: "counts", counts: { ...live.counts }, failures: live.failures.splice(0) });
      }
    }
    dirty.clear();
  };
  const touch = (jobId: string) => {
    dirty.add(jobId);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const tile = (build: BuildRecord, job: JobRecord | undefined, state?: string) => {
    const event: TileEvent = { build: { id: build.id, repo: build.repo, source: build.source, visibility: build.visibility }, jobId: job?.id, state: state ?? (job ? tileState(job) : build.status.state), buildState: build.status.conclusion ?? build.status.state };
    for (const watcher of tileWatchers) watcher(event);
  };
  /**
   * The job's live state for its current attempt, begun at its first event:
   * the runner prints lines (checkout, environment) before the container
   * starts, and those are lines 1… of the stored log too.
   */
  const follow = (job: JobRecord): Running => {
    const known = running.get(job.id);
    if (known && known.attempt === job.attempts) return known;
    const live: Running = { attempt: job.attempts, lines: [], bytes: 0, droppedLines: 0, counts: emptyCounts(), pending: [], pendingFirst: 1, failures: [], countsDirty: false };
    running.set(job.id, live);
    emit(job.id, { kind: "started", attempt: job.attempts });
    return live;
  };
  const end = (build: BuildRecord, job: JobRecord, state: string) => {
    if (running.has(job.id)) flush();
    running.delete(job.id);
    emit(job.id, { kind: "ended", state });
    tile(build, job, state);
  };

  return {
    planned(build, jobs) {
      tile(build, undefined, "new");
      for (const job of jobs) tile(build, job);
    },
    started(build, job) {
      follow(job);
      tile(build, job, "running");
    },
    logLine(_build, job, line) {
      const live = follow(job);
      const size = Buffer.byteLength(line) + 1;
      // Like the store: from the first line over the limit, lines are only counted.
      if (live.droppedLines > 0 || live.bytes + size > options.logLimitBytes) {
        live.droppedLines++;
        return;
      }
      live.bytes += size;
      live.lines.push(line);
      if (live.pending.length === 0) live.pendingFirst = live.lines.length;
      live.pending.push(line);
      touch(job.id);
    },
    testResult(_build, job, test) {
      const live = follow(job);
      live.counts[test.outcome]++;
      live.counts.total++;
      if ((test.outcome === "failed" || test.outcome === "error") && live.failures.length < 50) live.failures.push(test);
      live.countsDirty = true;
      touch(job.id);
    },
    finished({ build, job }) {
      end(build, job, tileState(job));
    },
    cancelled(build, job) {
      end(build, job, "cancelled");
    },
    retrying(build, job) {
      end(build, job, "queued");
    },
    restarted(build, job) {
      end(build, job, "queued");
    },
    interrupted(build, job) {
      end(build, job, "queued");
    },
    snapshot(jobId) {
      const live = running.get(jobId);
      return live ? { attempt: live.attempt, lines: live.lines.slice(0, live.lines.length - live.pending.length), droppedLines: live.droppedLines, counts: { ...live.counts } } : undefined;
    },
    watchJob(jobId, onEvent) {
      const live = running.get(jobId);
      // Lines still pending are part of the next batch event, not of the snapshot: no line twice.
      const snapshot = live ? { attempt: live.attempt, lines: live.lines.slice(0, live.lines.length - live.pending.length), droppedLines: live.droppedLines, counts: { ...live.counts } } : undefined;
      const set = jobWatchers.get(jobId) ?? new Set();
      set.add(onEvent);
      jobWatchers.set(jobId, set);
      return {
        snapshot,
        stop: () => {
          set.delete(onEvent);
          if (set.size === 0) jobWatchers.delete(jobId);
        },
      };
    },
    watchTiles(onEvent) {
      tileWatchers.add(onEvent);
      return () => tileWatchers.delete(onEvent);
    },
    get subscribers() {
      let n = tileWatchers.size;
      for (const set of jobWatchers.values()) n += set.size;
      return n;
    },
  };
}

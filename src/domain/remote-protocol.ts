/**
 * The wire between the server and `ponyci runner` processes on other Docker
 * hosts, all of it in Redis (BullMQ for cells, a stream for events, pub/sub
 * for cancels, expiring keys for heartbeats). Shared by both sides: the
 * runner imports nothing else of the app.
 *
 * 1. The server adds a `CellDispatch` to the cells queue of the cell's
 *    Python version (`cellQueueName`): only runners that have that base
 *    image consume it.
 * 2. The runner that takes it appends `EventEnvelope`s to the events stream:
 *    started, log lines, test results, finished.
 * 3. The server accepts an envelope only from the attempt it currently waits
 *    for (same `attemptId`, `fence` not older): late events of an attempt
 *    it gave up on (its runner was lost) are dropped, so a cell is reported
 *    once.
 * 4. Cancels travel on `channels.cancel` as `CancelMessage`s.
 * 6. Everything is signed with the key server and runners share
 *    (PONYCI_REDIS_SIGNING_KEY, `src/domain/redis-seal.ts`): dispatches
 *    (`SignedDispatch`), events (stream fields `e` = envelope, `s` =
 *    signature) and cancels (`<signature> <json>`); the clone token travels
 *    sealed. Unsigned or mis-signed entries are dropped by both sides.
 * 5. Every runner refreshes `runnerKey(id)` (a JSON `RunnerStatus`, expiring
 *    after `ttlMs`): a runner whose key expired while it ran an attempt is lost.
 */
import type { FinishedEvent, RunnerEvent } from "./events.js";

export interface CellDispatch<S = unknown> {
  /** `<jobId>#<fence>`: one attempt of one cell. */
  attemptId: string;
  jobId: string;
  /** Grows with every attempt of the job (a Redis counter): the fencing token. */
  fence: number;
  /** The complete cell spec; its clone token is short-lived and limited to the one repository. */
  spec: S;
  /** "owner/name": fairness and metrics. */
  repo: string;
  /** Labels the runner must have (all of them). */
  labels: string[];
  /** When it was queued (ms since epoch): queue wait. */
  queuedAt: number;
  /** The spec's clone token, sealed with the shared key (`RedisSeal.seal`): Redis never holds it in clear. */
  sealedToken?: string;
}

/**
 * What a cells queue's BullMQ job holds: the dispatch as JSON text and its
 * signature (`RedisSeal.sign("dispatch", body)`). A runner runs nothing whose
 * signature does not verify: a job injected into Redis is refused.
 */
export interface SignedDispatch {
  body: string;
  sig: string;
}

/** Runner events as JSON (an infrastructure error travels as its message), and "taken": a runner took the attempt. */
export type WireEvent =
  | Exclude<RunnerEvent, FinishedEvent>
  | (Omit<FinishedEvent, "infrastructureError"> & { infrastructure?: boolean })
  | { type: "taken"; at: number };

export interface EventEnvelope {
  attemptId: string;
  jobId: string;
  fence: number;
  runnerId: string;
  event: WireEvent;
}

/** Cancel one attempt, or every attempt of a job older than `belowFence` (superseded by a newer one). */
export type CancelMessage = { attemptId: string } | { jobId: string; belowFence: number };

export interface RunnerStatus {
  id: string;
  labels: string[];
  pythons: string[];
  concurrency: number;
  /** Attempt ids it runs now. */
  running: string[];
  /** Last heartbeat, ms since epoch. */
  at: number;
  draining: boolean;
}

export interface RemoteNames {
  events: string;
  cancelChannel: string;
  runnerKey(id: string): string;
  /** Set of runner ids ever seen (pruned by readers when their key expired). */
  runners: string;
  fenceKey(jobId: string): string;
  /** List of notes for a job's next verdict ("Retried after runner X was lost."): in Redis, so a restarted server still says them. */
  notesKey(jobId: string): string;
  cellQueue(python: string, labels: readonly string[]): string;
}

/** The Redis names, under a prefix (default "ponyci"). */
export function remoteNames(prefix = "ponyci"): RemoteNames {
  return {
    events: `${prefix}:events`,
    cancelChannel: `${prefix}:cell-cancel`,
    runnerKey: (id) => `${prefix}:runner:${id}`,
    runners: `${prefix}:runners`,
    fenceKey: (jobId) => `${prefix}:fence:${jobId}`,
    notesKey: (jobId) => `${prefix}:notes:${jobId}`,
    cellQueue: (python, labels) => cellQueueName(python, labels),
  };
}

/**
 * One cells queue per Python version and label set: "cells-py3.11", or
 * "cells-py3.11-gpu" for a cell that needs the label "gpu". A runner
 * consumes the queues of every Python it has and every label subset of its
 * labels, so a cell only reaches a runner that can run it.
 */
export function cellQueueName(python: string, labels: readonly string[] = []): string {
  const sorted = [...new Set(labels)].sort();
  return ["cells", `py${python}`, ...sorted].join("-");
}

/** The queues a runner with these Pythons and labels consumes. */
export function queuesForRunner(pythons: readonly string[], labels: readonly string[]): string[] {
  const sorted = [...new Set(labels)].sort();
  const subsets: string[][] = [[]];
  for (const label of sorted.slice(0, 6)) for (const subset of [...subsets]) subsets.push([...subset, label]);
  return pythons.flatMap((python) => subsets.map((subset) => cellQueueName(python, subset)));
}

/** ms before an attempt of a runner whose heartbeat stopped is declared lost. */
export const RUNNER_TTL_MS = 6_000;
export const HEARTBEAT_MS = 1_500;

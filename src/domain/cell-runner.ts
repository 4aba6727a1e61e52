import type { JobSpec } from "./job-spec.js";
import type { ServiceName } from "./database.js";
import type { ProjectMetadataRequest } from "./environment.js";
import type { RunnerEvent } from "./events.js";

/*
 * The cell-runner port and the ports it is built on: the app plans and
 * schedules cells and speaks only these types; runner/src/cell/run-cell.ts
 * (local Docker) and src/remote (a runner host through Redis) implement them.
 */

/** A repository at an exact commit, as the checkout port takes it. */
export interface CommitSource {
  url: string;
  token?: string;
  sha: string;
  fetchRefs?: string[];
}

/**
 * Everything one cell run needs: the planner's job spec (what to run), plus
 * where the code comes from.
 */
export interface CellSpec extends JobSpec {
  jobId: string;
  source: CommitSource;
  /**
   * Run these test ids first, then the rest (the tests that failed last
   * time): the first failure is known early; the set of tests run is the same.
   */
  firstTests?: string[];
  /**
   * Repositories at exact commits put ahead of site-packages on the Python
   * path: a downstream project tested against its app as it now is.
   */
  upstream?: Array<CommitSource & { name: string }>;
  /**
   * Test classes (Django "app.tests.SlowTests"), longest first by the last
   * run's timings: dispatched in this order to the cell's workers.
   */
  testOrder?: string[];
  /**
   * Recorded test time per test class (testClassOf ids), in ms, from the
   * same run as `testOrder`: what a cell is split across runners by.
   */
  testTimings?: Record<string, number>;
  /** Set on one shard of a cell split across runners (src/shard): which part of the suite it runs. */
  shard?: CellShard;
}

/**
 * One shard of a cell (issue 28): the harness filters the suite (no labels
 * are added to the command) to `tests`, or to everything but `excludeTests`
 * (the shard that also runs the tests never recorded).
 */
export interface CellShard {
  /** The job id of the cell this shard is part of (the shard runs under its own). */
  cellJobId: string;
  /** 1-based. */
  index: number;
  of: number;
  tests?: string[];
  excludeTests?: string[];
}

/** The checkout port (runner/src/checkout). */
export interface CheckoutPort {
  checkout(
    req: CommitSource & { workspaceDir: string },
    opts?: { signal?: AbortSignal },
  ): Promise<{ path: string; sha: string; remove(): Promise<void>; sharedObjectDirs?: string[] }>;
}

/** The part of the checkout port the app asks about branches: the commit `ref` points to in the remote (CheckoutError `ref-not-found`). */
export interface RefResolver {
  resolveRef(source: { url: string; token?: string }, ref: string): Promise<string>;
}

/** The environment port (runner/src/environment). */
export interface EnvironmentPort {
  ensure(
    /** What to install, as the planner decided it (EnvironmentRequest in runner/src/environment/environment.ts). */
    req: { python: string; django: string; requirements: string[]; constraints?: string[]; sources?: string[]; notes?: string[]; database?: ServiceName; cacheScope?: string; project?: ProjectMetadataRequest },
    opts?: { signal?: AbortSignal; onLog?: (line: string) => void },
  ): Promise<{
    /** The image the test container runs. */
    image: string;
    built: boolean;
    django: string;
    /** The environment's key (for the log). */
    key?: string;
    /** Host directory of the virtualenv, mounted read-only at /opt/venv. */
    venvDir?: string;
    /** Variables the environment needs (PATH, VIRTUAL_ENV); the cell's own come after them. */
    containerEnv?: Record<string, string>;
  }>;
  /** The cell's tests are done with environment `key` (optional: deferred work such as a byte-compile may start). */
  settle?(key: string): void;
}

export interface CellRunner {
  /**
   * Run one cell. The iterable yields `started` when the test container
   * starts, logs and test results as they happen, and always ends with one
   * `finished` (infrastructure failures included: conclusion "error", with the
   * InfrastructureError as `cause` on `finishedError`). Aborting `signal`
   * stops the container promptly and finishes "cancelled".
   */
  runCell(spec: CellSpec, options?: { signal?: AbortSignal }): AsyncIterable<RunnerEvent>;
}

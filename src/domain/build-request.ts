import type { Cell } from "./cell.js";

/** Where a build came from: a GitHub event, the private repositories' bridge, or `ponyci run`. */
export type BuildSource = "github" | "bridge" | "cli";
/** Who may see a build: everyone, or the viewers of its (private) repository. */
export type Visibility = "public" | "private";

/** A repository as a build needs it. */
export interface RepoRef {
  /** "owner/name" on GitHub, or the private repository's configured name. */
  name: string;
  /** What the runner clones: https://…, ssh://…, file://… or a path. */
  cloneUrl: string;
  visibility: Visibility;
  /** GitHub App installation: tokens for cloning, and where check runs go. */
  installationId?: number;
  defaultBranch?: string;
}

/** A commit as the dashboards show it: untrusted text, bounded (message 4 KiB, author 200 characters). */
export interface CommitSummary {
  message: string;
  author: string;
}

/** The upstream app a downstream project is tested against (issue: private projects after their app). */
export interface UpstreamRef {
  repo: string;
  cloneUrl: string;
  sha: string;
  buildId: number;
  installationId?: number;
}

/**
 * What a forge handler asks for: build this commit. Handlers translate their
 * event into one of these and return; the build service does the rest.
 */
export interface BuildRequest {
  source: BuildSource;
  repo: RepoRef;
  sha: string;
  branch?: string;
  prNumber?: number;
  /** "push", "pull_request", "rerequested", "rerun-failed", "downstream", "post-receive"… */
  event: string;
  /** Refs to fetch when the sha is on no branch (fork pull requests: refs/pull/N/head). */
  fetchRefs?: string[];
  /** A re-run: never deduplicated; only these cells, only these tests. */
  rerun?: { cells?: Cell[]; onlyTests?: string[]; ofJob?: string };
  /**
   * `ponyci run`'s --python/--django: the planner narrows the repository's
   * matrix to these (selectCells: flags narrow, never drop a database), and
   * the cell cap counts what they leave, as `tox -e` picks envs.
   */
  narrow?: { python?: string[]; django?: string[] };
  /** `ponyci run … -- ARGS`: tox's {posargs} for every cell; undefined without `--`. */
  posargs?: string[];
  /** A downstream build: the upstream app at an exact commit goes on the Python path. */
  upstream?: UpstreamRef;
  /**
   * What this commit is judged against (issue 15): a pull request's
   * `base.sha` and target branch, a push's `before` commit and branch. `sha`
   * is undefined when there is none (a new branch's first push).
   */
  base?: { sha?: string; branch?: string };
  /** The webhook delivery or push that asked for it. */
  deliveryId?: string;
  /** The commit's message and author, when the event carries them (GitHub's push). Untrusted text. */
  commit?: CommitSummary;
  /** A scheduled build (event "schedule"): its cron entry and the tick's time (the scheduler's record of it). */
  schedule?: { cron: string; at: number };
}

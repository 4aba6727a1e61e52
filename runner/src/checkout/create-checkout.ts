import { mkdir } from "node:fs/promises";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { buildGitEnv } from "./build-git-env.js";
import { CheckoutError } from "../../../src/domain/checkout-error.js";
import { createKeyedMutex } from "./create-keyed-mutex.js";
import { createWorkspace, type Workspace } from "./create-workspace.js";
import { ensureMirrorCommit } from "./ensure-mirror-commit.js";
import { getMirrorPath } from "./get-mirror-path.js";
import { normaliseSha } from "./normalise-sha.js";
import { parseRepoUrl } from "../../../src/domain/parse-repo-url.js";
import { pickRemoteRef } from "./pick-remote-ref.js";
import { readBlobs } from "./read-blobs.js";
import { runGit } from "./run-git.js";

export type { Workspace } from "./create-workspace.js";

export interface CheckoutOptions {
  /** Holds `mirrors/<name>-<hash>.git` (+ `.lock`); may be shared by several processes. */
  cacheDir: string;
  log?: Logger;
  /** The environment git starts from; default process.env (proxies, CA bundles, ssh agent). */
  env?: NodeJS.ProcessEnv;
}

export interface RepoSource {
  /** https://…, ssh://…, git@host:path, file://…, or an absolute local path */
  url: string;
  /** https token supplied by the caller (GitHub installation token). Never written to disk, into .git/config, into logs or error messages. */
  token?: string;
}

export interface CheckoutRequest extends RepoSource {
  /** The exact commit to build (40 hex). */
  sha: string;
  /** Extra refs to fetch if the sha is not present, e.g. "refs/pull/7/head" (fork PRs). */
  fetchRefs?: string[];
  /** Where to create the job's workspace (created; must not exist or be empty). */
  workspaceDir: string;
}

export interface Checkout {
  /**
   * Ensures the mirror has `sha` (clone the first time, fetch only what is new
   * later, nothing at all when the commit is there), then creates a writable
   * workspace at exactly that commit.
   * @throws CheckoutError (see its codes); a fired signal kills git and throws `aborted`
   */
  checkout(req: CheckoutRequest, opts?: { signal?: AbortSignal }): Promise<Workspace>;
  /**
   * Reads files at a commit straight from the mirror (no workspace), fetching if
   * needed. Missing files (and directories) → undefined. Keys are the paths as given.
   */
  /** `maxBytes`: a file over it (a number, or one per path) is not read (CheckoutError `file-too-large`). */
  readFiles(source: RepoSource & { sha: string; fetchRefs?: string[] }, paths: string[], options?: { maxBytes?: number | ((path: string) => number) }): Promise<Map<string, string | undefined>>;
  /**
   * The commit a branch (or tag, or full ref) points to in the remote, asked with
   * `git ls-remote`; annotated tags are peeled.
   * @throws CheckoutError `ref-not-found`
   */
  resolveRef(source: RepoSource, ref: string): Promise<string>;
  /**
   * The commit's author and message, from the mirror (fetching if needed).
   * Untrusted text: bounded (message 4 KiB), for display and notifications only.
   */
  readCommit(source: RepoSource & { sha: string; fetchRefs?: string[] }): Promise<CommitInfo>;
}

export interface CommitInfo {
  authorName: string;
  authorEmail: string;
  message: string;
}

/**
 * The checkout port of the runner: one bare mirror per repository under
 * `cacheDir`, workspaces made from it. Safe for concurrent calls, within this
 * process and across processes sharing `cacheDir`.
 */
export function createCheckout(options: CheckoutOptions): Checkout {
  const log = options.log ?? silentLogger;
  const mutex = createKeyedMutex();

  function prepare(source: RepoSource) {
    const repo = parseRepoUrl(source.url);
    const token = source.token !== undefined && source.token !== "" ? source.token : undefined;
    const env = buildGitEnv({ base: options.env ?? process.env, httpsOrigin: repo.httpsOrigin, token });
    const secrets = token === undefined ? [] : [token];
    return { repo, env, secrets, mirrorPath: getMirrorPath(options.cacheDir, source.url) };
  }

  async function ensure(source: RepoSource & { sha: string; fetchRefs?: string[] }, signal?: AbortSignal) {
    const sha = normaliseSha(source.sha);
    const prepared = prepare(source);
    await ensureMirrorCommit({ ...prepared, sha, fetchRefs: source.fetchRefs, mutex, log, signal });
    return { ...prepared, sha };
  }

  return {
    async checkout(req, opts = {}) {
      const { signal } = opts;
      if (signal?.aborted) throw new CheckoutError("aborted", `checkout of ${req.sha} aborted before it started`, { cause: signal.reason });
      const { mirrorPath, env, sha, repo } = await ensure(req, signal);
      const workspace = await createWorkspace({ mirrorPath, sha, dir: req.workspaceDir, env, signal });
      log.debug({ repo: repo.display, sha, path: workspace.path }, "workspace ready");
      return workspace;
    },

    async readFiles(source, paths, readOptions = {}) {
      const { mirrorPath, env, sha } = await ensure(source);
      return readBlobs({ gitDir: mirrorPath, sha, paths, env, maxBytes: readOptions.maxBytes });
    },

    async readCommit(source) {
      const { mirrorPath, env, secrets, sha } = await ensure(source);
      const output = await runGit({ cwd: mirrorPath, env, secrets, args: ["--git-dir", mirrorPath, "show", "-s", "--no-show-signature", "--format=%an%x00%ae%x00%B", sha, "--"] });
      const [authorName = "", authorEmail = "", message = ""] = output.split("\0");
      return { authorName: authorName.slice(0, 200), authorEmail: authorEmail.slice(0, 254), message: message.trim().slice(0, 4096) };
    },

    async resolveRef(source, ref) {
      if (!/^[A-Za-z0-9._\-/]+$/.test(ref) || ref.startsWith("-") || ref.includes("..")) {
        throw new CheckoutError("invalid-request", `${JSON.stringify(ref)} is not a branch, tag or ref name`);
      }
      const { repo, env, secrets } = prepare(source);
      const names = ref.startsWith("refs/") || ref === "HEAD" ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
      const patterns = names.flatMap((name) => [name, `${name}^{}`]);
      await mkdir(options.cacheDir, { recursive: true });
      const output = await runGit({ cwd: options.cacheDir, env, secrets, args: ["ls-remote", "--", repo.url, ...patterns] });
      const sha = pickRemoteRef(output, ref);
      if (sha === undefined) throw new CheckoutError("ref-not-found", `${repo.display} has no branch or tag ${JSON.stringify(ref)}`);
      return sha;
    },
  };
}


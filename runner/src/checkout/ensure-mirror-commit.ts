import { randomBytes } from "node:crypto";
import { access, mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Logger } from "../../../src/domain/logger.js";
import { acquireFileLock } from "./acquire-file-lock.js";
import { buildFetchRefspecs } from "./build-fetch-refspecs.js";
import { CheckoutError } from "../../../src/domain/checkout-error.js";
import type { KeyedMutex } from "./create-keyed-mutex.js";
import type { ParsedRepoUrl } from "../../../src/domain/parse-repo-url.js";
import { runGit } from "./run-git.js";

export interface EnsureMirrorCommitOptions {
  mirrorPath: string;
  repo: ParsedRepoUrl;
  /** Full, lowercase commit id. */
  sha: string;
  fetchRefs?: readonly string[];
  /** From `buildGitEnv` (carries the token, if any). */
  env: Record<string, string>;
  secrets: readonly string[];
  /** The in-process half of the mirror lock; the file lock is the other half. */
  mutex: KeyedMutex;
  log: Logger;
  signal?: AbortSignal;
}

/**
 * Makes sure the bare mirror at `mirrorPath` exists and holds `sha`, touching the
 * network only when it does not: a commit already present costs one local
 * `git cat-file` and no lock. Otherwise, under the mirror's lock (in-process chain
 * + lock file), the mirror is cloned (first time; built aside and renamed into
 * place, so a failed clone leaves nothing) or fetched: every branch and tag plus
 * `fetchRefs`, pruning what the remote deleted.
 * @throws CheckoutError `commit-not-found` when the commit is still missing after fetching
 */
export async function ensureMirrorCommit(options: EnsureMirrorCommitOptions): Promise<void> {
  const { mirrorPath, sha, log } = options;
  if (await hasCommit(options)) {
    log.debug({ repo: options.repo.display, sha }, "commit already in mirror: no fetch");
    return;
  }
  const refspecs = buildFetchRefspecs(options.fetchRefs);
  await mkdir(dirname(mirrorPath), { recursive: true });
  await options.mutex.runExclusive(mirrorPath, async () => {
    const release = await acquireFileLock(`${mirrorPath}.lock`, { signal: options.signal, log });
    try {
      if (await hasCommit(options)) return; // someone fetched it while we waited
      if (await exists(mirrorPath)) {
        log.info({ repo: options.repo.display, sha }, "fetching into mirror");
        await fetchInto(mirrorPath, refspecs, options);
      } else {
        log.info({ repo: options.repo.display, sha }, "cloning mirror");
        await cloneMirror(refspecs, options);
      }
      if (!(await hasCommit(options))) {
        const fetched = refspecs.map((spec) => spec.replace(/^\+/, "").split(":")[0]).join(", ");
        throw new CheckoutError(
          "commit-not-found",
          `commit ${sha} not found in ${options.repo.display} after fetching ${fetched}: was it force-pushed away, or is it a fork pull request that needs fetchRefs such as "refs/pull/<number>/head"?`,
        );
      }
    } finally {
      await release();
    }
  });
}

async function cloneMirror(refspecs: string[], options: EnsureMirrorCommitOptions): Promise<void> {
  const { mirrorPath } = options;
  const building = `${mirrorPath}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await runGit({ ...gitOf(options), cwd: dirname(mirrorPath), args: ["init", "--bare", "--quiet", "--", basename(building)] });
    // For people looking at the cache; never the token, never a password.
    await runGit({ ...gitOf(options), cwd: building, args: [`--git-dir=${building}`, "config", "ponyci.url", options.repo.display] });
    await fetchInto(building, refspecs, options);
    await rename(building, mirrorPath);
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

async function fetchInto(gitDir: string, refspecs: string[], options: EnsureMirrorCommitOptions): Promise<void> {
  try {
    await runGit({ ...gitOf(options), cwd: gitDir, args: [`--git-dir=${gitDir}`, "fetch", "--quiet", "--prune", "--no-tags", "--no-write-fetch-head", "--", options.repo.url, ...refspecs] });
  } catch (error) {
    if (!(error instanceof CheckoutError) || error.code === "aborted") throw error;
    const code = /couldn't find remote ref/i.test(error.message) ? "ref-not-found" : "git-failed";
    throw new CheckoutError(code, `could not fetch ${options.repo.display}: ${error.message}`, { cause: error.cause });
  }
}

async function hasCommit(options: EnsureMirrorCommitOptions): Promise<boolean> {
  if (!(await exists(options.mirrorPath))) return false;
  try {
    await runGit({ ...gitOf(options), cwd: options.mirrorPath, args: [`--git-dir=${options.mirrorPath}`, "cat-file", "-e", `${options.sha}^{commit}`] });
    return true;
  } catch (error) {
    if (error instanceof CheckoutError && error.code === "aborted") throw error;
    return false;
  }
}

function gitOf(options: EnsureMirrorCommitOptions) {
  return { env: options.env, secrets: options.secrets, signal: options.signal };
}

async function exists(gitDir: string): Promise<boolean> {
  return access(`${gitDir}/HEAD`).then(
    () => true,
    () => false,
  );
}

import { mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { CheckoutError } from "../../../src/domain/checkout-error.js";
import { runGit } from "./run-git.js";

/** A job's own working tree at one commit. */
export interface Workspace {
  /** Absolute path of the working tree (a normal git repository, HEAD detached at `sha`). */
  path: string;
  sha: string;
  /**
   * Object directories the workspace borrows through git alternates (the mirror's):
   * git inside the workspace needs them readable at the same path, so a container
   * that runs git (setuptools_scm, `git describe`) mounts them read-only.
   */
  sharedObjectDirs: string[];
  /** Deletes the working tree; safe to call twice. */
  remove(): Promise<void>;
}

export interface CreateWorkspaceOptions {
  mirrorPath: string;
  /** Full commit id, present in the mirror. */
  sha: string;
  /** Must not exist, or be an empty directory. */
  dir: string;
  env: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * Makes a writable working tree at exactly `sha` from the mirror, cheaply:
 * `git clone --shared --no-checkout` borrows the mirror's objects instead of
 * copying them (branches and tags come along, for `git describe`), then a
 * detached checkout of the sha. Submodules and LFS are not fetched. On failure
 * nothing is left at `dir`.
 * @throws CheckoutError `invalid-request` when `dir` holds files already
 */
export async function createWorkspace(options: CreateWorkspaceOptions): Promise<Workspace> {
  const path = resolve(options.dir);
  const entries = await readdir(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  if (entries.length > 0) {
    throw new CheckoutError("invalid-request", `workspace directory ${path} is not empty: give a new or empty directory per job`);
  }
  await mkdir(path, { recursive: true });
  const git = { env: options.env, secrets: [], signal: options.signal };
  try {
    await runGit({ ...git, cwd: dirname(path), args: ["clone", "--shared", "--no-checkout", "--quiet", "--", options.mirrorPath, path] });
    await runGit({ ...git, cwd: path, args: ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", options.sha] });
  } catch (error) {
    await rm(path, { recursive: true, force: true });
    throw error;
  }
  return {
    path,
    sha: options.sha,
    sharedObjectDirs: [join(resolve(options.mirrorPath), "objects")],
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

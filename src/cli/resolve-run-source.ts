import { execa } from "execa";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";

export interface RunSource {
  /** What the checkout port clones from. */
  url: string;
  sha: string;
  /** What to show the user. */
  label: string;
  /** The URL, or the directory's absolute path: what runs of one project share (their history is one). */
  name: string;
  /** Set when the working tree was snapshotted (uncommitted changes, or a directory inside another repo). */
  snapshot?: string;
}

/**
 * Turn what the user named on `ponyci run` into a commit to build.
 * - a git URL (https://, ssh://, git@, file://): its default branch head (or `rev`);
 * - a directory that is the root of a clean git work tree: its HEAD (or `rev`);
 * - any other directory (uncommitted changes, a folder inside a bigger repo, no
 *   git at all): a snapshot commit of the files as they are, in a private repo
 *   under `snapshotDir`, so the build sees exactly what the user sees.
 */
export async function resolveRunSource(target: string, options: { snapshotDir: string; rev?: string }): Promise<RunSource> {
  if (/^(https?|ssh|git|file):\/\//.test(target) || /^[\w.-]+@[\w.-]+:/.test(target)) {
    const ref = options.rev ?? "HEAD";
    const { stdout } = await execa("git", ["ls-remote", target, ref], { env: { GIT_TERMINAL_PROMPT: "0" } });
    const sha = stdout.split(/\s/)[0];
    if (!sha || !/^[0-9a-f]{40}$/.test(sha)) {
      if (options.rev && /^[0-9a-f]{40}$/.test(options.rev)) return { url: target, sha: options.rev, label: target, name: target };
      throw new Error(`${target} has no ref ${ref}: name a branch, a tag or a full commit sha with --rev`);
    }
    return { url: target, sha, label: `${target}@${ref}`, name: target };
  }
  const dir = path.resolve(target);
  if (!existsSync(dir)) throw new Error(`${target} does not exist: name a directory holding a Django project, or a git URL`);
  const top = await execa("git", ["rev-parse", "--show-toplevel"], { cwd: dir, reject: false });
  if (top.exitCode === 0 && path.resolve(top.stdout.trim()) === dir) {
    const dirty = (await execa("git", ["status", "--porcelain"], { cwd: dir })).stdout.trim() !== "";
    if (!dirty || options.rev) {
      const { stdout } = await execa("git", ["rev-parse", "--verify", `${options.rev ?? "HEAD"}^{commit}`], { cwd: dir });
      return { url: dir, sha: stdout.trim(), label: `${target}@${options.rev ?? "HEAD"}`, name: dir };
    }
  } else if (options.rev) {
    throw new Error(`--rev needs the root of a git work tree; ${target} is not one`);
  }
  return snapshot(dir, target, options.snapshotDir);
}

async function snapshot(dir: string, label: string, snapshotDir: string): Promise<RunSource> {
  const repo = path.join(snapshotDir, createHash("sha256").update(dir).digest("hex").slice(0, 16));
  await mkdir(repo, { recursive: true });
  if (!existsSync(path.join(repo, "HEAD"))) {
    await rm(repo, { recursive: true, force: true });
    await execa("git", ["init", "-q", "--bare", repo]);
  }
  // Commit the directory's files (respecting .gitignore where there is one) without touching it.
  const env = {
    GIT_DIR: repo,
    GIT_WORK_TREE: dir,
    GIT_INDEX_FILE: path.join(repo, "ponyci-index"),
    GIT_AUTHOR_NAME: "Pony CI",
    GIT_AUTHOR_EMAIL: "ponyci@localhost",
    GIT_COMMITTER_NAME: "Pony CI",
    GIT_COMMITTER_EMAIL: "ponyci@localhost",
    // Fixed dates: the same files give the same commit, so a warm mirror fetches nothing.
    GIT_AUTHOR_DATE: "2000-01-01T00:00:00Z",
    GIT_COMMITTER_DATE: "2000-01-01T00:00:00Z",
  };
  await execa("git", ["add", "-A", "."], { cwd: dir, env });
  const tree = (await execa("git", ["write-tree"], { env })).stdout.trim();
  const sha = (await execa("git", ["commit-tree", tree, "-m", `ponyci run snapshot of ${dir}`], { env })).stdout.trim();
  await execa("git", ["update-ref", "refs/heads/snapshot", sha], { env });
  return { url: repo, sha, label: `${label} (working tree)`, name: dir, snapshot: repo };
}

import { execa } from "execa";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const identity = {
  GIT_AUTHOR_NAME: "Pony Test",
  GIT_AUTHOR_EMAIL: "pony@example.invalid",
  GIT_COMMITTER_NAME: "Pony Test",
  GIT_COMMITTER_EMAIL: "pony@example.invalid",
};

/** Runs git in `cwd` and returns trimmed stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execa("git", args, { cwd, env: identity });
  return stdout.trim();
}

/** A fresh temp directory, removed by the returned cleanup. */
export async function makeTempDir(prefix = "ponyci-checkout-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A non-bare "upstream" repository with a `main` branch. */
export async function makeOrigin(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await git(dir, "init", "--quiet", "--initial-branch=main");
  return dir;
}

/** Writes `files` (path → content, undefined deletes) in `repo`, commits them, returns the new sha. */
export async function commitFiles(repo: string, files: Record<string, string | undefined>, message = "change"): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(repo, path);
    if (content === undefined) {
      await rm(full, { force: true });
    } else {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }
  await git(repo, "add", "--all");
  await git(repo, "commit", "--quiet", "--allow-empty", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

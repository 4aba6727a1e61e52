import { execa } from "execa";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { hookCommand } from "../../src/cli/hook-command.js";

export const GIT_ENV = {
  GIT_AUTHOR_NAME: "Fixture",
  GIT_AUTHOR_EMAIL: "fixture@localhost",
  GIT_COMMITTER_NAME: "Fixture",
  GIT_COMMITTER_EMAIL: "fixture@localhost",
};

/** Runs git in `cwd`; never throws on a non-zero exit (the result says). */
export async function git(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number; all: string }> {
  const result = await execa("git", args, { cwd, env: GIT_ENV, reject: false, all: true });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1, all: result.all ?? "" };
}

/** A secret file readable by its owner only, as the docs ask. */
export function writeSecretFile(dir: string, name: string, secret: string): string {
  const file = path.join(dir, `${name}.secret`);
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** A bare repository on "the git server" (a temp dir), default branch main. */
export async function createBareRepo(name: string): Promise<string> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "ponyci-git-server-")), `${name}.git`);
  await execa("git", ["init", "-q", "--bare", "-b", "main", dir]);
  return dir;
}

/** `ponyci hook install` exactly as an admin types it; returns what it printed. */
export async function installHookWithCli(bareRepo: string, options: { repo: string; url: string; secretFile: string; force?: boolean }): Promise<string> {
  let printed = "";
  const argv = ["install", bareRepo, "--repo", options.repo, "--url", options.url, "--secret-file", options.secretFile];
  if (options.force) argv.push("--force");
  const code = await hookCommand(argv, { out: { write: (text) => void (printed += text) } });
  if (code !== 0) throw new Error(`hook install exited ${code}: ${printed}`);
  return printed;
}

/** The "Pony CI: …" line the hook printed during a push (git prefixes it with "remote: "). */
export function hookLine(pushOutput: string): string | undefined {
  return /^remote: (Pony CI: .*?)\s*$/m.exec(pushOutput)?.[1];
}

/** Build numbers in "build #3 queued" / "builds #4, #5 queued". */
export function queuedBuildIds(line: string | undefined): number[] {
  const queued = /builds? ((?:#\d+(?:, )?)+) queued/.exec(line ?? "")?.[1] ?? "";
  return [...queued.matchAll(/#(\d+)/g)].map((m) => Number(m[1]));
}

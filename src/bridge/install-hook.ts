import { chmod, copyFile, readFile, rename, stat, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { simpleGit } from "simple-git";
import { bridgePath } from "./bridge-protocol.js";
import { findHookScript } from "./find-hook-script.js";
import { PRIVATE_REPO_NAME } from "./parse-private-repos.js";

export interface InstallHookOptions {
  /** The server's bare repository (the one developers push to). */
  bareRepo: string;
  /** The repository's name in the private repositories file. */
  repo: string;
  /** Base URL of the Pony CI server, e.g. https://ci.example.com. */
  url: string;
  /** File holding the repository's secret; the hook reads it at every push. */
  secretFile: string;
  /** Replace a post-receive hook that is not Pony CI's (kept as post-receive.before-ponyci). */
  force?: boolean;
  /** Seconds the hook waits for the server. Default 5. */
  timeoutSec?: number;
}

export interface InstalledHook {
  hookPath: string;
  configPath: string;
  endpoint: string;
  /** Where a foreign hook was moved with `force`. */
  backupPath?: string;
  /** Things that work but should be fixed (a secret file others can read). */
  warnings: string[];
}

/** The hook's configuration file, next to it. Read by runner/hooks/post-receive. */
export const HOOK_CONFIG_NAME = "ponyci-hook.json";
/** A line every version of the shipped hook holds: how a Pony CI hook is recognised. */
const HOOK_MARKER = "Pony CI post-receive hook";

/**
 * Installs the shipped post-receive hook (runner/hooks/post-receive) into a
 * bare repository, with `ponyci-hook.json` (endpoint, repo name, secret file
 * path; never the secret) next to it. Re-installing over a Pony CI hook
 * updates it; another hook is only replaced with `force`.
 * @throws Error saying what to fix: not a bare repository, unreadable or empty secret file, bad URL or name
 */
export async function installHook(options: InstallHookOptions): Promise<InstalledHook> {
  const warnings: string[] = [];
  if (!PRIVATE_REPO_NAME.test(options.repo)) {
    throw new Error(`--repo ${JSON.stringify(options.repo)} is not a repository name: use the \`name:\` of its entry in the private repositories file (letters, digits, '.', '_', '-')`);
  }
  const endpoint = endpointFor(options.url, options.repo);

  // 1. The target must be a bare repository (git plumbing through simple-git).
  const bareRepo = path.resolve(options.bareRepo);
  const isDir = await stat(bareRepo).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new Error(`${bareRepo} is not a directory: give the path of the bare repository on the git server, e.g. /home/git/project.git`);
  // safe.directory: the repository usually belongs to the git user, not to whoever installs the hook.
  const git = simpleGit({ baseDir: bareRepo, config: [`safe.directory=${bareRepo}`] });
  let bare: string;
  try {
    bare = (await git.revparse(["--is-bare-repository"])).trim();
  } catch (error) {
    throw new Error(`${bareRepo} is not a git repository (${firstLine(error)}): give the path of the bare repository developers push to`, { cause: error });
  }
  if (bare !== "true") {
    throw new Error(`${bareRepo} is not a bare repository: install the hook in the server's bare repository (the one you push to, e.g. created with \`git clone --bare\`), not in a working copy`);
  }
  const hooksDir = path.resolve(bareRepo, (await git.revparse(["--git-path", "hooks"])).trim());

  // 2. The secret file must hold a secret; it stays where it is.
  const secretFile = path.resolve(options.secretFile);
  let secret: string;
  try {
    secret = (await readFile(secretFile, "utf8")).trim();
  } catch (error) {
    throw new Error(`--secret-file ${secretFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? firstLine(error)}): create it with \`openssl rand -hex 32 > ${secretFile}\` and use the same secret on the server`, { cause: error });
  }
  if (secret.length < 16) throw new Error(`--secret-file ${secretFile} holds ${secret.length === 0 ? "nothing" : "a secret shorter than 16 characters"}: write one with \`openssl rand -hex 32 > ${secretFile}\``);
  const mode = (await stat(secretFile)).mode;
  if ((mode & 0o077) !== 0) {
    warnings.push(`${secretFile} is readable by other users: make it readable by the git user only (\`chown git ${secretFile} && chmod 600 ${secretFile}\`)`);
  }

  // 3. Hook and config.
  await mkdir(hooksDir, { recursive: true });
  const hookPath = path.join(hooksDir, "post-receive");
  const configPath = path.join(hooksDir, HOOK_CONFIG_NAME);
  let backupPath: string | undefined;
  const existing = await readFile(hookPath, "utf8").catch(() => undefined);
  if (existing !== undefined && !existing.includes(HOOK_MARKER)) {
    if (!options.force) {
      throw new Error(`${hookPath} already exists and is not Pony CI's hook: move it away, or pass --force to replace it (it is kept as post-receive.before-ponyci)`);
    }
    backupPath = `${hookPath}.before-ponyci`;
    await rename(hookPath, backupPath);
  }
  const source = await findHookScript();
  await copyFile(source, `${hookPath}.tmp`);
  await chmod(`${hookPath}.tmp`, 0o755);
  await rename(`${hookPath}.tmp`, hookPath);
  const config = { endpoint, repo: options.repo, secret_file: secretFile, timeout: options.timeoutSec ?? 5 };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
  await chmod(configPath, 0o644);
  return { hookPath, configPath, endpoint, backupPath, warnings };
}

/** The hook's endpoint from the server's base URL. Pure. */
export function endpointFor(url: string, repo: string): string {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new Error(`--url ${JSON.stringify(url)} is not a URL: give the Pony CI server's base URL, e.g. https://ci.example.com`);
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") throw new Error(`--url must be http:// or https://, not ${base.protocol}`);
  if (base.search || base.hash) throw new Error(`--url ${url} must not have a query or fragment: give the server's base URL`);
  return `${base.origin}${base.pathname.replace(/\/+$/, "")}${bridgePath(repo)}`;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n").find((line) => line.trim() !== "")?.trim() ?? "unknown error";
}

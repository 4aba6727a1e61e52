import { execa } from "execa";
import { CheckoutError } from "../../../src/domain/checkout-error.js";
import { scrubSecrets } from "./scrub-secrets.js";

/** Grace between SIGTERM (git removes its temporary packs and lock files) and SIGKILL. */
const KILL_GRACE_MS = 5_000;

export interface RunGitOptions {
  /** Directory git runs in (must exist). */
  cwd: string;
  args: string[];
  /** From `buildGitEnv`: the whole environment (nothing else is inherited). */
  env: Record<string, string>;
  /** Scrubbed from every message that leaves this function. */
  secrets: readonly string[];
  /** Kills git, and the helpers it started, when it fires. */
  signal?: AbortSignal;
}

/**
 * Runs one git command and returns its stdout. Failures become a `CheckoutError`
 * (`git-failed`, or `aborted` when the signal fired) whose message and cause hold
 * git's stderr with every secret scrubbed; the original error is not kept, because
 * its text is not.
 *
 * Plain git (execa) rather than simple-git, for three measured reasons:
 * simple-git waits 50 ms after every command that printed nothing (three such
 * commands make the warm path: +150 ms, about doubling it); its abort signals git
 * alone, while `git-remote-https`, `ssh` or `git-upload-pack` keep the connection
 * open (here git leads its own process group and an abort signals the group);
 * and it cannot feed stdin (`cat-file --batch`).
 */
export async function runGit(options: RunGitOptions): Promise<string> {
  const scrub = (text: string) => scrubSecrets(text, options.secrets);
  const command = scrub(`git ${options.args.join(" ")}`);
  const verb = options.args.find((arg, i) => !arg.startsWith("-") && options.args[i - 1] !== "-c") ?? "";
  if (options.signal?.aborted) throw new CheckoutError("aborted", `git ${verb} was aborted before it started`);
  const child = execa("git", options.args, { cwd: options.cwd, env: options.env, extendEnv: false, detached: true, stdin: "ignore" });
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onAbort = () => {
    killGroup("SIGTERM");
    setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS).unref();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const { stdout } = await child;
    return stdout;
  } catch (error) {
    const stderr = typeof (error as { stderr?: unknown }).stderr === "string" ? (error as { stderr: string }).stderr : "";
    const detail = scrub(stderr.trim() || (error instanceof Error ? error.message : String(error)));
    const cause = new Error(`${command}: ${detail}`);
    if (options.signal?.aborted) throw new CheckoutError("aborted", `git ${verb} was aborted`, { cause });
    throw new CheckoutError("git-failed", `git ${verb} failed: ${detail}`, { cause });
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

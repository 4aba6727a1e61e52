import { execa } from "execa";
import { CancelledError } from "../../../src/domain/errors.js";
import { defaultHostPython, hostPythonEnv, type HostPython } from "../../../src/domain/host-python.js";

export interface PipResult {
  exitCode: number;
  lines: string[];
}

/**
 * Runs host pip with `args` (["download", …, "--", …requirements]),
 * streaming each output line. Contract for callers: everything after "--" is
 * a requirement Pony CI re-serialised from a strict parse (parseRequirement),
 * everything before it Pony CI's own options. Never throws for a non-zero
 * exit (the caller classifies the output); throws CancelledError when
 * `signal` aborts. Injected into the builder so tests can count calls and
 * prove the warm path never reaches it.
 */
export type PipRunner = (args: string[], options?: { signal?: AbortSignal; onLine?: (line: string) => void }) => Promise<PipResult>;

/** pip's subcommands that fetch from the index: they get the index, the CA and binary-only. */
const FETCHING = new Set(["download", "index"]);

/**
 * The host's pip, locked down: `python -I -m pip --isolated` (no PYTHON*
 * variables, no user site, no PIP_* variables or user configuration) with
 * PIP_CONFIG_FILE=/dev/null (no configuration file at all) in an environment
 * holding nothing but PATH, HOME, the proxy and that (no server secrets);
 * for `download` and `index`, the operator's index and CA and
 * `--only-binary=:all:` are added in front of "--", so nothing a requirement
 * says can turn a build on. One Python process per call; a `timeoutMs`
 * (default 15 min) ends a pip that hangs.
 */
export function createPipRunner(options: { host?: HostPython; timeoutMs?: number } = {}): PipRunner {
  const host = options.host ?? defaultHostPython();
  return async (args, { signal, onLine } = {}) => {
    if (signal?.aborted) throw new CancelledError();
    const lines: string[] = [];
    const subprocess = execa(host.python, ["-I", "-m", "pip", "--isolated", "--no-input", "--disable-pip-version-check", ...withFixedOptions(args, host)], {
      all: true,
      reject: false,
      buffer: false,
      stdin: "ignore",
      cancelSignal: signal,
      extendEnv: false,
      env: hostPythonEnv(host),
      // Not the server's working directory: pip would take a requirement naming a file there for that file.
      cwd: "/",
      timeout: options.timeoutMs ?? 15 * 60 * 1000,
    });
    for await (const line of subprocess.iterable({ from: "all" })) {
      if (lines.length < 20_000) lines.push(line);
      onLine?.(line);
    }
    const result = await subprocess;
    if (result.isCanceled || signal?.aborted) throw new CancelledError();
    if (result.timedOut) {
      lines.push(`ERROR: pip timed out (Read timed out) after ${Math.round((options.timeoutMs ?? 900_000) / 1000)} s`);
      return { exitCode: 124, lines };
    }
    if (result.failed && result.exitCode === undefined) {
      // pip never ran (interpreter missing): report it like pip output, so it classifies as infrastructure.
      lines.push(`ERROR: could not run ${host.python} -m pip: ${result.shortMessage ?? result.message}`);
      return { exitCode: 127, lines };
    }
    return { exitCode: result.exitCode ?? 1, lines };
  };
}

/** Pony CI's index, CA and binary-only inserted before "--" (or at the end) of a fetching command. */
export function withFixedOptions(args: string[], host: HostPython): string[] {
  if (!FETCHING.has(args[0] ?? "")) return args;
  const fixed = ["--index-url", host.indexUrl, ...(host.certFile ? ["--cert", host.certFile] : []), "--only-binary=:all:", "--progress-bar", "off"];
  if (args[0] === "index") fixed.splice(fixed.indexOf("--progress-bar"), 2); // `pip index` has no progress bar
  const dashes = args.indexOf("--");
  return dashes === -1 ? [...args, ...fixed] : [...args.slice(0, dashes), ...fixed, ...args.slice(dashes)];
}

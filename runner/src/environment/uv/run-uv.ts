import { execa } from "execa";
import { CancelledError } from "../../../../src/domain/errors.js";
import { hostPythonEnv, type HostPython } from "../../../../src/domain/host-python.js";

export interface UvResult {
  exitCode: number;
  lines: string[];
}

/**
 * Runs the host's uv with `args`, locked down like host pip: no
 * configuration file (`--no-config` is added), no UV_* variable of the
 * server's environment (only the cache, the operator's CA and index
 * settings set here), no Python downloads, cwd "/" (uv would read a
 * pyproject.toml or uv.toml where it runs), a deadline. Contract for
 * callers: every requirement reaches uv in a file Pony CI wrote from
 * re-serialised requirements, never as an argument. Never throws for a
 * non-zero exit; CancelledError when `signal` aborts.
 */
export async function runUv(
  uv: string,
  args: string[],
  options: { host: HostPython; cacheDir: string; signal?: AbortSignal; timeoutMs?: number; onLine?: (line: string) => void },
): Promise<UvResult> {
  if (options.signal?.aborted) throw new CancelledError();
  const lines: string[] = [];
  const subprocess = execa(uv, [...args.slice(0, 2), "--no-config", "--no-python-downloads", ...args.slice(2)], {
    all: true,
    reject: false,
    buffer: false,
    stdin: "ignore",
    cancelSignal: options.signal,
    extendEnv: false,
    env: {
      ...hostPythonEnv(options.host),
      UV_CACHE_DIR: options.cacheDir,
      UV_NO_PROGRESS: "1",
      // The operator's CA (an intercepting proxy's), as host pip uses it.
      ...(options.host.certFile ? { SSL_CERT_FILE: options.host.certFile } : {}),
    },
    cwd: "/",
    timeout: options.timeoutMs ?? 10 * 60 * 1000,
  });
  for await (const line of subprocess.iterable({ from: "all" })) {
    if (lines.length < 20_000) lines.push(line);
    options.onLine?.(line);
  }
  const result = await subprocess;
  if (result.isCanceled || options.signal?.aborted) throw new CancelledError();
  if (result.timedOut) return { exitCode: 124, lines: [...lines, "error: uv timed out"] };
  if (result.failed && result.exitCode === undefined) return { exitCode: 127, lines: [...lines, `error: could not run ${uv}: ${result.shortMessage ?? result.message}`] };
  return { exitCode: result.exitCode ?? 1, lines };
}

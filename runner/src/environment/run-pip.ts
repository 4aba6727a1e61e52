import { execa } from "execa";
import { CancelledError } from "../../../src/domain/errors.js";

export interface PipResult {
  exitCode: number;
  lines: string[];
}

/**
 * Runs host pip with `args` (["download", …]), streaming each output line.
 * Never throws for a non-zero exit (the caller classifies the output); throws
 * CancelledError when `signal` aborts. Injected into the builder so tests can
 * count calls and prove the warm path never reaches it.
 */
export type PipRunner = (args: string[], options?: { signal?: AbortSignal; onLine?: (line: string) => void }) => Promise<PipResult>;

/**
 * The host's pip: `python3 -m pip` by default (PONYCI_PYTHON picks another
 * interpreter). It reaches the index through the host's proxy and trust store,
 * which is why Pony CI shells out to pip rather than fetching from Node.
 */
export function createPipRunner(options: { python?: string } = {}): PipRunner {
  const python = options.python ?? process.env.PONYCI_PYTHON ?? "python3";
  return async (args, { signal, onLine } = {}) => {
    if (signal?.aborted) throw new CancelledError();
    const lines: string[] = [];
    const subprocess = execa(python, ["-m", "pip", ...args], {
      all: true,
      reject: false,
      buffer: false,
      stdin: "ignore",
      cancelSignal: signal,
      env: { PIP_NO_INPUT: "1", PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_PROGRESS_BAR: "off", PIP_REQUIRE_VIRTUALENV: "0" },
    });
    for await (const line of subprocess.iterable({ from: "all" })) {
      lines.push(line);
      onLine?.(line);
    }
    const result = await subprocess;
    if (result.isCanceled || signal?.aborted) throw new CancelledError();
    if (result.failed && result.exitCode === undefined) {
      // pip never ran (interpreter missing): report it like pip output, so it classifies as infrastructure.
      lines.push(`ERROR: could not run ${python} -m pip: ${result.shortMessage ?? result.message}`);
      return { exitCode: 127, lines };
    }
    return { exitCode: result.exitCode ?? 1, lines };
  };
}

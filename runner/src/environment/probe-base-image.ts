import type Docker from "dockerode";
import { EnvironmentError } from "./environment-error.js";
import type { InterpreterProbe } from "./pip-target-args.js";
import { runBuildContainer } from "./run-build-container.js";

const PROBE = `python3 -c 'import json, platform, sys; l = platform.libc_ver(); print("PROBE " + json.dumps({"python": "%d.%d" % sys.version_info[:2], "libc": l[0], "libcVersion": l[1], "machine": platform.machine()}))'`;

/**
 * Ask a base image's interpreter what it is (Python X.Y, C library, machine),
 * so host pip downloads wheels that install there. One short container, run
 * only on the cold path.
 */
export async function probeBaseImage(docker: Docker, image: string, options: { signal?: AbortSignal } = {}): Promise<InterpreterProbe> {
  const lines: string[] = [];
  const { exitCode } = await runBuildContainer(docker, { image, script: PROBE }, { signal: options.signal, onLine: (l) => lines.push(l) });
  const line = lines.find((l) => l.startsWith("PROBE "));
  if (exitCode !== 0 || !line) {
    throw new EnvironmentError("infrastructure", `Base image ${image} has no working python3 (exit ${exitCode}): ${lines.slice(-3).join(" ")}`);
  }
  return JSON.parse(line.slice("PROBE ".length)) as InterpreterProbe;
}

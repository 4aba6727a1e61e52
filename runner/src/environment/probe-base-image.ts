import type Docker from "dockerode";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { LABEL_ENV_PYTHON } from "./environment-labels.js";
import type { InterpreterProbe } from "./pip-target-args.js";
import { runBuildContainer } from "./run-build-container.js";

const PROBE = `python3 -c 'import json, platform, sys; l = platform.libc_ver(); print("PROBE " + json.dumps({"python": "%d.%d" % sys.version_info[:2], "libc": l[0], "libcVersion": l[1], "machine": platform.machine()}))'`;

/**
 * Ask a base image's interpreter what it is (Python X.Y, C library, machine),
 * so host pip downloads wheels that install there. One short container, run
 * only on the cold path, and only for an image without the labels of
 * probeFromLabels.
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

/**
 * The probe's answer as runner/images/build-base-images.sh records it in
 * the image's labels when it builds (or relabels) it: org.ponyci.python,
 * org.ponyci.libc, org.ponyci.libc-version, org.ponyci.machine. Undefined
 * unless all four are there and well formed (then the container probe
 * runs, once per process and image): saves a container start (about 0.35 s
 * on a busy host) on the first cold build of each process.
 */
export function probeFromLabels(labels: Record<string, string> | null | undefined): InterpreterProbe | undefined {
  const python = labels?.[LABEL_ENV_PYTHON];
  const libc = labels?.["org.ponyci.libc"];
  const libcVersion = labels?.["org.ponyci.libc-version"];
  const machine = labels?.["org.ponyci.machine"];
  if (!python || !/^\d+\.\d+$/.test(python)) return undefined;
  if (libc === undefined || !/^(glibc|musl|)$/.test(libc)) return undefined;
  if (libcVersion === undefined || !/^(\d+\.\d+(\.\d+)?)?$/.test(libcVersion)) return undefined;
  if (!machine || !/^[a-z0-9_]{1,32}$/.test(machine)) return undefined;
  return { python, libc, libcVersion, machine };
}

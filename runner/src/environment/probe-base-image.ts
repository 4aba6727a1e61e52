import type Docker from "dockerode";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { LABEL_ENV_PYTHON } from "./environment-labels.js";
import type { InterpreterProbe } from "./pip-target-args.js";
import { runBuildContainer } from "./run-build-container.js";

// PyPy's ABI tag comes from SOABI ("pypy311-pp73-x86_64-linux-gnu" → "pypy311_pp73"): its wheels' tag.
const PROBE = `python3 -c 'import json, platform, sys, sysconfig; l = platform.libc_ver(); i = platform.python_implementation().lower(); print("PROBE " + json.dumps({"python": "%d.%d" % sys.version_info[:2], "libc": l[0], "libcVersion": l[1], "machine": platform.machine(), "implementation": "pypy" if i == "pypy" else "cpython", "abi": "_".join((sysconfig.get_config_var("SOABI") or "").split("-")[:2])}))' 2>/dev/null`;

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
  const probe = JSON.parse(line.slice("PROBE ".length)) as InterpreterProbe;
  // Only what pip's flags take: an ABI tag of letters, digits and _.
  return { python: probe.python, libc: probe.libc, libcVersion: probe.libcVersion, machine: probe.machine, implementation: probe.implementation === "pypy" ? "pypy" : "cpython", ...(probe.implementation === "pypy" && /^pypy\d{2,3}_pp\d{2,3}$/.test(probe.abi ?? "") ? { abi: probe.abi } : {}) };
}

/**
 * The probe's answer as runner/images/build-base-images.sh records it in
 * the image's labels when it builds (or relabels) it: org.ponyci.python,
 * org.ponyci.libc, org.ponyci.libc-version, org.ponyci.machine. Undefined
 * unless all four are there and well formed (then the container probe
 * runs, once per process and image): saves a container start (about 0.35 s
 * on a busy host) on the first cold build of each process. PyPy images are
 * always probed: their ABI tag is not among the labels.
 */
export function probeFromLabels(labels: Record<string, string> | null | undefined): InterpreterProbe | undefined {
  const python = labels?.[LABEL_ENV_PYTHON];
  const libc = labels?.["org.ponyci.libc"];
  const libcVersion = labels?.["org.ponyci.libc-version"];
  const machine = labels?.["org.ponyci.machine"];
  if (!python || !/^\d+\.\d+$/.test(python)) return undefined;
  if (labels?.["org.ponyci.implementation"] === "pypy") return undefined;
  if (libc === undefined || !/^(glibc|musl|)$/.test(libc)) return undefined;
  if (libcVersion === undefined || !/^(\d+\.\d+(\.\d+)?)?$/.test(libcVersion)) return undefined;
  if (!machine || !/^[a-z0-9_]{1,32}$/.test(machine)) return undefined;
  return { python, libc, libcVersion, machine, implementation: "cpython" };
}

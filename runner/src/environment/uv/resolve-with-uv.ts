import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "smol-toml";
import type { HostPython } from "../../../../src/domain/host-python.js";
import type { InterpreterProbe } from "../pip-target-args.js";
import { normalizeRequirement } from "../../../../src/domain/parse-requirement.js";
import { runUv } from "./run-uv.js";

/** One wheel the resolution chose, as the index described it. */
export interface LockedWheel {
  /** Normalised project name. */
  name: string;
  version: string;
  /** File name (the last segment of `url`, PEP 427). */
  file: string;
  url: string;
  sha256: string;
  size?: number;
}

/** Why uv could not resolve: "needs-build" (an sdist only: the pip path builds it in a container), "project" or "infrastructure". */
export class UvResolutionError extends Error {
  constructor(
    readonly kind: "needs-build" | "project" | "infrastructure",
    message: string,
  ) {
    super(message);
    this.name = "UvResolutionError";
  }
}

/** The `--python-platform` values uv knows for glibc (uv pip compile --help). */
const UV_GLIBC = [17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40];

/**
 * uv's name for the image's platform: the newest manylinux it knows that the
 * image's glibc runs; undefined when uv cannot target it (musl, another
 * architecture): then the pip path is used.
 */
export function uvPlatform(probe: InterpreterProbe): string | undefined {
  // uv's --python-platform targets CPython: PyPy's wheels (pp tags) go through pip.
  if (probe.implementation === "pypy" || probe.libc !== "glibc" || (probe.machine !== "x86_64" && probe.machine !== "aarch64")) return undefined;
  const [major, minor] = probe.libcVersion.split(".").map(Number);
  if (major !== 2 || minor === undefined || Number.isNaN(minor)) return undefined;
  const best = UV_GLIBC.filter((v) => v <= minor).pop();
  return best === undefined ? undefined : `${probe.machine}-manylinux_2_${best}`;
}

export interface ResolveWithUvOptions {
  uv: string;
  host: HostPython;
  /** uv's own cache (metadata, no builds). */
  cacheDir: string;
  probe: InterpreterProbe;
  /** Everything to install: Django pinned, and the project's requirements. */
  requirements: string[];
  constraints: string[];
  /** Scratch directory for the input files and the lock. */
  scratchDir: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/**
 * Resolve for the image's exact interpreter (`--python-version`,
 * `--python-platform`: markers are evaluated for the target, not the host)
 * with `--no-build` (uv never runs a setup.py, and only-binary follows), into
 * a PEP 751 lock whose wheels carry the index's URLs and sha256. Every
 * requirement is re-serialised from a strict parse into a file written here.
 * Throws UvResolutionError.
 */
export async function resolveWithUv(options: ResolveWithUvOptions): Promise<LockedWheel[]> {
  const input = join(options.scratchDir, "uv-requirements.in");
  const constraints = join(options.scratchDir, "uv-constraints.txt");
  const output = join(options.scratchDir, "pylock.toml");
  const platform = uvPlatform(options.probe);
  if (!platform) throw new UvResolutionError("needs-build", options.probe.implementation === "pypy" ? "uv cannot target PyPy" : `uv cannot target ${options.probe.libc} ${options.probe.libcVersion} on ${options.probe.machine}`);
  await writeFile(input, options.requirements.map((r) => normalizeRequirement(r)).join("\n") + "\n");
  await writeFile(constraints, options.constraints.map((r) => normalizeRequirement(r)).join("\n") + "\n");
  const lines: string[] = [];
  const result = await runUv(
    options.uv,
    [
      "pip", "compile",
      "--quiet",
      "--no-build",
      "--python-version", options.probe.python,
      "--python-platform", platform,
      "--index-url", options.host.indexUrl,
      "--format", "pylock.toml",
      "--no-header",
      "--constraint", constraints,
      "--output-file", output,
      input,
    ],
    { host: options.host, cacheDir: options.cacheDir, signal: options.signal, onLine: (line) => (lines.push(line), options.onLine?.(line)) },
  );
  if (result.exitCode !== 0) throw classifyUvFailure(result.lines);
  const text = await readFile(output, "utf8");
  if (text.length > 8 * 1024 * 1024) throw new UvResolutionError("infrastructure", "uv's lock is larger than 8 MiB");
  return parseLock(text);
}

/** uv's messages, sorted into what to do next. */
export function classifyUvFailure(lines: string[]): UvResolutionError {
  const text = lines.join("\n");
  const tail = lines.slice(-12).join("\n");
  if (/--no-build|no usable wheels|building source distributions is disabled|only has source distributions|has no usable wheels/i.test(text)) {
    return new UvResolutionError("needs-build", tail);
  }
  if (/No solution found|not found in the package registry|Because .* depends on|no versions of|unsatisfiable/i.test(text)) {
    return new UvResolutionError("project", `The requirements cannot be met:\n${tail}`);
  }
  return new UvResolutionError("infrastructure", `uv could not resolve the requirements:\n${tail}`);
}

const WHEEL_FILE = /^[A-Za-z0-9][A-Za-z0-9._+!-]*\.whl$/;

/** The wheels of a pylock.toml written by uv, each checked (https URL, a wheel file name, a sha256). */
export function parseLock(text: string): LockedWheel[] {
  const lock = parse(text) as { packages?: Array<{ name?: unknown; version?: unknown; wheels?: unknown }> };
  const wheels: LockedWheel[] = [];
  for (const pkg of lock.packages ?? []) {
    if (typeof pkg.name !== "string" || typeof pkg.version !== "string" || !Array.isArray(pkg.wheels) || pkg.wheels.length === 0) {
      throw new UvResolutionError("needs-build", `uv's lock has no wheel for ${String(pkg.name)}`);
    }
    for (const wheel of pkg.wheels as Array<{ url?: unknown; size?: unknown; hashes?: { sha256?: unknown } }>) {
      const url = typeof wheel.url === "string" ? new URL(wheel.url) : undefined;
      const file = url ? decodeURIComponent(url.pathname.split("/").pop() ?? "") : "";
      const sha256 = wheel.hashes?.sha256;
      if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || !WHEEL_FILE.test(file) || typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) {
        throw new UvResolutionError("infrastructure", `uv's lock names a wheel Pony CI does not accept for ${pkg.name}: ${JSON.stringify(wheel).slice(0, 300)}`);
      }
      wheels.push({ name: pkg.name, version: pkg.version, file, url: url.toString(), sha256, size: typeof wheel.size === "number" ? wheel.size : undefined });
    }
  }
  return wheels;
}

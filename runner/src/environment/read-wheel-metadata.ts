import { execa } from "execa";
import path from "node:path";
import { CancelledError } from "../../../src/domain/errors.js";
import { PYTHON_HELPERS_DIR } from "./fetch-sdist.js";
import { hostPythonEnv, type HostPython } from "../../../src/domain/host-python.js";

/** A wheel whose METADATA is wanted. */
export interface WheelToRead {
  url: string;
  /** The index serves `<url>.metadata` (PEP 658/714); else the wheel is read by HTTP ranges. */
  coreMetadata: boolean;
}

/** What a wheel's METADATA says about Python, or why it could not be read. */
export type WheelMetadataResult = { requiresPython?: string; classifiers: string[] } | { error: string };

const TIMEOUT_SEC = 30;
const MAX_CLASSIFIERS = 500;

/**
 * Requires-Python and classifiers of wheels on the operator's index, read
 * through the host's Python (its trust store knows an intercepting proxy's
 * CA, Node's fetch does not): PEP 658 metadata files where the index has
 * them, else a few HTTP ranges of each wheel. Four at a time in one process.
 * A wheel that fails is reported as `{ error }`; throws only when the helper
 * itself cannot run; CancelledError on abort.
 */
export async function readWheelMetadata(wheels: readonly WheelToRead[], options: { host: HostPython; signal?: AbortSignal }): Promise<Map<string, WheelMetadataResult>> {
  const results = new Map<string, WheelMetadataResult>();
  if (wheels.length === 0) return results;
  const result = await execa(options.host.python, ["-I", path.join(PYTHON_HELPERS_DIR, "read_wheel_metadata.py"), String(TIMEOUT_SEC), options.host.certFile ?? ""], {
    reject: false,
    input: JSON.stringify(wheels.map((w) => ({ url: w.url, core: w.coreMetadata }))),
    extendEnv: false,
    env: hostPythonEnv(options.host),
    cancelSignal: options.signal,
    timeout: TIMEOUT_SEC * 1000 * Math.max(4, Math.ceil(wheels.length / 4) * 4),
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.isCanceled || options.signal?.aborted) throw new CancelledError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(result.stdout).trim().split("\n").at(-1) ?? "");
  } catch {
    throw new Error(`read_wheel_metadata.py failed: ${String(result.stderr).trim().split("\n").slice(-3).join(" ") || result.shortMessage}`);
  }
  const answers = (parsed as { results?: unknown }).results;
  for (const wheel of wheels) {
    const answer = typeof answers === "object" && answers !== null && Object.hasOwn(answers, wheel.url) ? (answers as Record<string, unknown>)[wheel.url] : undefined;
    results.set(wheel.url, toResult(answer));
  }
  return results;
}

/** Re-shaped from the helper's JSON: only strings kept, bounded. */
function toResult(answer: unknown): WheelMetadataResult {
  if (typeof answer !== "object" || answer === null) return { error: "no answer" };
  const a = answer as { requires_python?: unknown; classifiers?: unknown; error?: unknown };
  if (typeof a.error === "string") return { error: a.error.slice(0, 300) };
  const classifiers = Array.isArray(a.classifiers) ? a.classifiers.filter((c): c is string => typeof c === "string").slice(0, MAX_CLASSIFIERS).map((c) => c.slice(0, 200)) : [];
  return typeof a.requires_python === "string" ? { requiresPython: a.requires_python.slice(0, 200), classifiers } : { classifiers };
}

import type { EnvironmentErrorKind } from "../../../src/domain/environment-error.js";

export interface PipFailure {
  kind: EnvironmentErrorKind;
  /** One paragraph for the check run: what failed, pip's own lines quoted, how to fix it. */
  message: string;
  /** The requirement pip found no (binary) distribution for, as pip printed it. */
  missing?: string;
}

const NETWORK = /Retrying \(Retry\(|NewConnectionError|ProxyError|SSLError|ConnectionError|Max retries exceeded|Read timed out|timed out|Name or service not known|Temporary failure in name resolution|HTTP error 5\d\d|Connection reset/i;
const LOCAL = /No space left on device|Errno 28|Read-only file system|Permission denied|Disk quota/i;

/**
 * Whose fault a failed `pip download` is, from its output. Network and disk
 * trouble is infrastructure (retry later); a requirement that matches nothing,
 * conflicting pins or an invalid spec is the project's (fix the requirements).
 * Network checks come first: pip reports an unreachable index as "from versions: none" too.
 */
export function classifyPipFailure(lines: string[], context: { python: string }): PipFailure {
  const errors = lines.filter((l) => /^ERROR:/.test(l.trim())).map((l) => l.trim());
  const quoted = (errors.length ? errors : lines.slice(-5).map((l) => l.trim())).join("\n");
  if (lines.some((l) => NETWORK.test(l))) {
    const detail = lines.find((l) => NETWORK.test(l))?.trim() ?? "";
    return { kind: "infrastructure", message: `pip could not reach the package index: ${detail}\n${quoted}`.trim() };
  }
  if (lines.some((l) => LOCAL.test(l))) {
    return { kind: "infrastructure", message: `pip failed on the host: ${lines.find((l) => LOCAL.test(l))?.trim()}` };
  }
  const missing = lines.map((l) => /No matching distribution found for (.+)$/.exec(l.trim())?.[1]).find(Boolean);
  if (missing) {
    const pythonNote = lines.find((l) => /require a different python version/i.test(l))?.trim();
    return {
      kind: "project",
      missing: missing.trim(),
      message:
        `No release of "${missing.trim()}" can be installed on Python ${context.python}: ` +
        `check the name and version on PyPI, and that it supports Python ${context.python}.\n${quoted}` +
        (pythonNote && !quoted.includes(pythonNote) ? `\n${pythonNote}` : ""),
    };
  }
  const conflictAt = lines.findIndex((l) => /conflict is caused by/i.test(l));
  if (conflictAt !== -1 || lines.some((l) => /ResolutionImpossible|conflicting dependencies/i.test(l))) {
    const block = conflictAt === -1 ? [] : lines.slice(conflictAt, conflictAt + 8).map((l) => l.trim()).filter(Boolean);
    return {
      kind: "project",
      message: `The requirements conflict with each other or with Django: loosen or change the pins pip names.\n${[quoted, ...block].join("\n")}`,
    };
  }
  if (errors.some((l) => /Invalid requirement|Could not find a version|Requires-Python|does not match/i.test(l))) {
    return { kind: "project", message: `pip rejected the requirements:\n${quoted}` };
  }
  return { kind: "infrastructure", message: `pip download failed:\n${quoted}` };
}

import { compare, parse } from "@renovatebot/pep440";

/** A PEP 440 version as far as the planner and the runner read it: "3.11", "4.2.16", "6.0a1", "5.1rc2", "1.0.post1", "2.0.dev3". */
export interface ParsedVersion {
  release: number[];
  /** -1 a dev release with no pre-release tag, 0 a, 1 b, 2 rc, 3 final (post releases are final too). */
  stage: number;
  /** The pre-release number ("rc2" → 2), 0 when there is none. */
  pre: number;
}

const STAGES: Readonly<Record<string, number>> = { a: 0, b: 1, rc: 2 };

/** The version read by the PEP 440 library (@renovatebot/pep440), or undefined when it is not one. */
export function parseVersion(v: string): ParsedVersion | undefined {
  const parsed = parse(v);
  if (!parsed) return undefined;
  const [tag, pre] = parsed.pre ?? [];
  const stage = tag !== undefined ? (STAGES[tag] ?? 0) : parsed.dev ? -1 : 3;
  return { release: parsed.release, stage, pre: Number(pre ?? 0) };
}

/**
 * The one version order of app and runner: PEP 440's, from the PEP 440
 * library (numeric per part, "3.9" before "3.11"; "4.2" equals "4.2.0";
 * "6.0.dev1" < "6.0a1" < "6.0rc1" < "6.0" < "6.0.post1"). Anything that is
 * not a version (e.g. "pypy3.10") sorts first, and such strings keep their
 * relative order (the sort is stable).
 */
export function compareVersions(a: string, b: string): number {
  const validA = parse(a) !== null;
  const validB = parse(b) !== null;
  if (!validA || !validB) return validA ? 1 : validB ? -1 : 0;
  return compare(a, b);
}

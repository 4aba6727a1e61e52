/** A version of the simple PEP 440 shapes Python and Django use: "3.11", "4.2.16", "6.0a1", "5.1rc2". */
export interface ParsedVersion {
  release: number[];
  /** 0 a, 1 b, 2 rc, 3 final */
  stage: number;
  pre: number;
}

export function parseVersion(v: string): ParsedVersion | undefined {
  const m = /^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?$/.exec(v);
  if (!m || !m[1]) return undefined;
  const stage = m[2] === undefined ? 3 : ["a", "b", "rc"].indexOf(m[2]);
  return { release: m[1].split(".").map(Number), stage, pre: Number(m[3] ?? 0) };
}

/**
 * Sort comparator for versions: numeric per part ("3.9" before "3.11"),
 * missing parts count as 0 ("4.2" equals "4.2.0"), pre-releases before the
 * final release ("6.0a1" < "6.0b1" < "6.0rc1" < "6.0"). Anything that is not
 * such a version sorts first. The one version order of app and runner.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : 0;
  for (let i = 0; i < Math.max(pa.release.length, pb.release.length); i++) {
    const d = (pa.release[i] ?? 0) - (pb.release[i] ?? 0);
    if (d !== 0) return d;
  }
  return pa.stage - pb.stage || pa.pre - pb.pre;
}

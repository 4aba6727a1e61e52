/**
 * What a cell's Django entry means. "4.2" is a series: the newest final 4.2.x
 * (or, before 4.2.0 is out, the newest 4.2 pre-release). "4.2.16" or "6.0a1"
 * is exact. Anything else is a config mistake.
 */
export type DjangoSpec = { type: "series"; series: string } | { type: "exact"; version: string } | { type: "invalid" };

export function parseDjangoSpec(django: string): DjangoSpec {
  const s = django.trim();
  if (/^\d+\.\d+$/.test(s)) return { type: "series", series: s };
  if (/^\d+\.\d+(\.\d+)?((a|b|rc)\d+)?$/.test(s)) return { type: "exact", version: s };
  return { type: "invalid" };
}

interface ParsedVersion {
  release: number[];
  /** 0 a, 1 b, 2 rc, 3 final */
  stage: number;
  pre: number;
}

function parseVersion(v: string): ParsedVersion | undefined {
  const m = /^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?$/.exec(v);
  if (!m || !m[1]) return undefined;
  const stage = m[2] === undefined ? 3 : ["a", "b", "rc"].indexOf(m[2]);
  return { release: m[1].split(".").map(Number), stage, pre: Number(m[3] ?? 0) };
}

/** Sort comparator for PEP 440 versions of the simple shapes Django uses. */
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

/**
 * The version a series resolves to among `available` (as PyPI lists them,
 * already filtered for the cell's Python): newest final release in the
 * series, else its newest pre-release; undefined when the series has none.
 */
export function pickDjangoVersion(series: string, available: string[]): string | undefined {
  const inSeries = available.filter((v) => {
    const p = parseVersion(v);
    return p !== undefined && `${p.release[0]}.${p.release[1] ?? 0}` === series;
  });
  const finals = inSeries.filter((v) => parseVersion(v)?.stage === 3);
  const pool = finals.length > 0 ? finals : inSeries;
  return pool.sort(compareVersions).at(-1);
}

import { compareVersions } from "../../../src/domain/compare-versions.js";
import { pickSeriesRelease } from "../../../src/domain/pick-django-release.js";

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

/** Re-exported: the one version order of app and runner lives in the domain. */
export { compareVersions };

/**
 * The version a series resolves to among `available` (as PyPI lists them,
 * already filtered for the cell's Python): newest final release in the
 * series, else its newest pre-release; undefined when the series has none.
 * The app's support table decides the same way (src/domain/pick-django-release.ts).
 */
export function pickDjangoVersion(series: string, available: string[]): string | undefined {
  return pickSeriesRelease(series, available);
}

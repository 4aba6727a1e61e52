import { satisfies, validRange } from "@renovatebot/pep440";
import { compareVersions, parseVersion } from "./compare-versions.js";

/**
 * Which Django release a series means, decided once for the app (the
 * support table, src/builds/versions/) and the runner (a cell's patch
 * release, runner/src/environment/resolve-django-version.ts), from the same
 * PEP 691 file entries: a yanked file or one that is not a wheel does not
 * count, a Requires-Python that does not admit the Python excludes, and the
 * newest final release wins over pre-releases. Pure.
 */

/** A wheel of an index page, as far as choosing a release goes. */
export interface IndexWheel {
  /** "5.2.9", "6.1a1": only plain X.Y[.Z][aN|bN|rcN] versions (no dev or post releases). */
  version: string;
  /** Its Requires-Python, "" when it declares none. */
  requiresPython: string;
}

const WHEEL = /^[A-Za-z0-9._]+-(\d[A-Za-z0-9.]*)-[^-]+-[^-]+-[^-]+\.whl$/;

/** A PEP 691 file entry (untrusted shape) as an IndexWheel; undefined for a yanked file, an sdist or a version of another shape. */
export function readIndexWheel(file: unknown): IndexWheel | undefined {
  if (typeof file !== "object" || file === null) return undefined;
  const entry = file as { filename?: unknown; yanked?: unknown; "requires-python"?: unknown };
  if (typeof entry.filename !== "string" || (entry.yanked !== undefined && entry.yanked !== false && entry.yanked !== null)) return undefined;
  const version = WHEEL.exec(entry.filename)?.[1];
  const parsed = version === undefined ? undefined : parseVersion(version);
  if (!version || !parsed || parsed.release.length < 2) return undefined;
  return { version, requiresPython: typeof entry["requires-python"] === "string" ? entry["requires-python"].trim() : "" };
}

/** True when Requires-Python admits Python `python` ("3.12": every 3.12.x); an empty or unreadable one admits all, as pip does. */
export function admitsPython(requiresPython: string, python: string): boolean {
  if (!requiresPython.trim() || !validRange(requiresPython)) return true;
  try {
    // pip checks the target's full version: "3.12.0" is the closest known.
    return satisfies(`${python}.0`, requiresPython) || satisfies(python, requiresPython);
  } catch {
    return true;
  }
}

/** The versions with a wheel for Python `python` (language version "3.X"), newest first, each once. */
export function listWheelReleases(files: readonly unknown[], python: string): string[] {
  const versions = new Set<string>();
  for (const file of files) {
    const wheel = readIndexWheel(file);
    if (wheel && admitsPython(wheel.requiresPython, python)) versions.add(wheel.version);
  }
  return [...versions].sort((a, b) => compareVersions(b, a));
}

/** "5.2.9" → "5.2"; undefined for anything else. */
export function seriesOfRelease(version: string): string | undefined {
  const parsed = parseVersion(version);
  return parsed && parsed.release.length >= 2 ? `${parsed.release[0]}.${parsed.release[1]}` : undefined;
}

/** The newest final release among `versions`, else (a series still in alpha, beta, rc) the newest pre-release. */
export function pickNewestRelease(versions: readonly string[]): string | undefined {
  const known = versions.filter((v) => parseVersion(v) !== undefined);
  const finals = known.filter((v) => parseVersion(v)?.stage === 3);
  return [...(finals.length > 0 ? finals : known)].sort(compareVersions).at(-1);
}

/** What a series resolves to among `versions` (already filtered for the cell's Python): pickNewestRelease of the series' releases. */
export function pickSeriesRelease(series: string, versions: readonly string[]): string | undefined {
  return pickNewestRelease(versions.filter((v) => seriesOfRelease(v) === series));
}

import { compareVersions, parseVersion } from "../../domain/compare-versions.js";
import { admitsPython, pickSeriesRelease, readIndexWheel, seriesOfRelease } from "../../domain/pick-django-release.js";
import type { DjangoSeries, DjangoSupportTable } from "./django-support.js";

/** One file of a PEP 691 project page, as far as it is read here (untrusted shapes: every field checked). */
export interface IndexFileEntry {
  filename?: unknown;
  url?: unknown;
  yanked?: unknown;
  "requires-python"?: unknown;
  /** PEP 714 (`data-dist-info-metadata` before it): the index serves `<url>.metadata`. */
  "core-metadata"?: unknown;
  "data-dist-info-metadata"?: unknown;
}

/** The newest release of a series and the wheel whose metadata describes it. */
export interface SeriesRelease {
  series: string;
  version: string;
  prerelease: boolean;
  /** Absolute URL of its wheel. */
  wheelUrl: string;
  /** The index serves the wheel's METADATA on its own (PEP 658). */
  coreMetadata: boolean;
  requiresPython?: string;
}

/** What a wheel's METADATA says about Python. */
export interface WheelPythonMetadata {
  requiresPython?: string;
  classifiers: readonly string[];
}

/**
 * The newest non-yanked release of every series that has a wheel declaring
 * Requires-Python (older series predate the Python 3 only era and are not
 * planned): the newest final release, else (a series still in alpha, beta,
 * release candidate) its newest pre-release; chosen as the runner chooses a
 * cell's patch release (src/domain/pick-django-release.ts). Versions that
 * are not plain X.Y[.Z][aN|bN|rcN] (dev, post releases) are ignored.
 * `pageUrl` resolves relative file URLs. Pure.
 */
export function newestSeriesReleases(files: readonly IndexFileEntry[], pageUrl: string): SeriesRelease[] {
  const bySeries = new Map<string, Map<string, SeriesRelease>>();
  for (const file of files) {
    const wheel = readIndexWheel(file);
    if (!wheel || !wheel.requiresPython || typeof file.url !== "string") continue;
    let wheelUrl: string;
    try {
      wheelUrl = new URL(file.url, pageUrl).toString();
    } catch {
      continue;
    }
    const series = seriesOfRelease(wheel.version) as string;
    const meta = file["core-metadata"] ?? file["data-dist-info-metadata"];
    const releases = bySeries.get(series) ?? new Map<string, SeriesRelease>();
    bySeries.set(series, releases);
    if (!releases.has(wheel.version)) {
      releases.set(wheel.version, { series, version: wheel.version, prerelease: parseVersion(wheel.version)?.stage !== 3, wheelUrl, coreMetadata: meta !== undefined && meta !== false, requiresPython: wheel.requiresPython });
    }
  }
  const newest: SeriesRelease[] = [];
  for (const [series, releases] of bySeries) {
    const pick = releases.get(pickSeriesRelease(series, [...releases.keys()]) ?? "");
    if (pick) newest.push(pick);
  }
  return newest.sort((a, b) => compareVersions(a.series, b.series));
}

/**
 * The Python versions a release supports: its `Programming Language ::
 * Python :: 3.X` classifiers that its Requires-Python admits (a classifier
 * is a promise of the maintainers, Requires-Python what installers enforce).
 */
export function pythonsOfRelease(metadata: WheelPythonMetadata, fallbackRequiresPython?: string): string[] {
  const requiresPython = metadata.requiresPython?.trim() || fallbackRequiresPython?.trim() || "";
  const pythons = new Set<string>();
  for (const classifier of metadata.classifiers) {
    const python = /^Programming Language\s*::\s*Python\s*::\s*(3\.\d{1,3})$/.exec(classifier.trim())?.[1];
    if (python && admitsPython(requiresPython, python)) pythons.add(python);
  }
  return [...pythons].sort(compareVersions);
}

/** Options for {@link deriveDjangoSupport}. */
export interface DeriveDjangoSupportOptions {
  releases: readonly SeriesRelease[];
  /** Metadata read for a release's wheel, by wheel URL; a release missing here keeps what `previous` says of it. */
  metadata: ReadonlyMap<string, WheelPythonMetadata>;
  /** The table known before (cache or snapshot): a series whose newest release is unchanged is not read again. */
  previous?: DjangoSupportTable;
  source: string;
  fetchedAt: string;
}

/**
 * The support table from the index's newest release per series and their
 * metadata. A series whose newest release is the one `previous` describes
 * keeps its row (so a refresh reads metadata only for new releases); one
 * whose metadata could not be read keeps its previous row, if any, and is
 * read again at the next refresh; one that names no Python is left out. A
 * series the index no longer lists (every release yanked) is gone. Pure.
 */
export function deriveDjangoSupport(options: DeriveDjangoSupportOptions): DjangoSupportTable {
  const series: Record<string, DjangoSeries> = {};
  for (const release of options.releases) {
    const before = options.previous && Object.hasOwn(options.previous.series, release.series) ? options.previous.series[release.series] : undefined;
    const metadata = options.metadata.get(release.wheelUrl);
    if (metadata) {
      const python = pythonsOfRelease(metadata, release.requiresPython);
      if (python.length > 0) series[release.series] = { python, latest: release.version, ...(release.prerelease ? { prerelease: true } : {}) };
    } else if (before) {
      // Unchanged, or unreadable this time: the row stays as it was (and a new release is read again next refresh).
      series[release.series] = before;
    }
  }
  return { source: options.source, fetchedAt: options.fetchedAt, series };
}

/** Releases whose metadata must be read: new since `previous`, or not described by it. */
export function releasesToRead(releases: readonly SeriesRelease[], previous?: DjangoSupportTable): SeriesRelease[] {
  return releases.filter((r) => {
    const before = previous && Object.hasOwn(previous.series, r.series) ? previous.series[r.series] : undefined;
    return before?.latest !== r.version;
  });
}

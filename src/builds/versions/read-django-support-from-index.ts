import { deriveDjangoSupport, newestSeriesReleases, releasesToRead, type IndexFileEntry, type WheelPythonMetadata } from "./derive-django-support.js";
import type { DjangoSupportTable } from "./django-support.js";

/** The package index as the support table reads it (runner/src/environment: fetchProjectPage, readWheelMetadata). */
export interface DjangoIndexReader {
  /** The project's PEP 691 page: its URL and files; undefined when the index does not know it. */
  page(project: string, signal?: AbortSignal): Promise<{ url: string; files: readonly IndexFileEntry[] } | undefined>;
  /** Requires-Python and classifiers per wheel URL; a wheel that could not be read is `{ error }`. */
  metadata(wheels: readonly { url: string; coreMetadata: boolean }[], signal?: AbortSignal): Promise<ReadonlyMap<string, WheelPythonMetadata | { error: string }>>;
}

/**
 * Django's support table from the index: one page read, then the metadata
 * of each series' newest release that `previous` does not already describe
 * (a warm refresh with nothing new reads no wheel).
 * @throws Error when the index has no Django or gives no series at all.
 */
export async function readDjangoSupportFromIndex(reader: DjangoIndexReader, options: { previous?: DjangoSupportTable; now: Date; signal?: AbortSignal }): Promise<DjangoSupportTable> {
  const page = await reader.page("django", options.signal);
  if (!page) throw new Error("the package index has no project named django");
  const releases = newestSeriesReleases(page.files, page.url);
  const toRead = releasesToRead(releases, options.previous);
  const answers = await reader.metadata(toRead.map((r) => ({ url: r.wheelUrl, coreMetadata: r.coreMetadata })), options.signal);
  const metadata = new Map<string, WheelPythonMetadata>();
  for (const [url, answer] of answers) if (!("error" in answer)) metadata.set(url, answer);
  const table = deriveDjangoSupport({ releases, metadata, previous: options.previous, source: page.url, fetchedAt: options.now.toISOString() });
  if (Object.keys(table.series).length === 0) throw new Error(`${page.url} gives no Django series with wheels and Python classifiers`);
  return table;
}

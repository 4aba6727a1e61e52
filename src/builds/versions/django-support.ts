import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compareVersions } from "../../domain/compare-versions.js";
import type { Cell } from "../../domain/cell.js";
import { pythonLanguageVersion } from "../../domain/python-name.js";

/**
 * Which Python versions each Django series supports, as data: derived from
 * the releases' own metadata on the package index (deriveDjangoSupport),
 * cached in the data directory, shipped as a snapshot for machines that
 * cannot reach an index, or written by the operator (PONYCI_DJANGO_SUPPORT).
 * No Django or Python version is written in the code.
 */
export interface DjangoSupportTable {
  /** Where it came from: the index page, "snapshot", or the operator's file. */
  source: string;
  /** ISO time the index was read. */
  fetchedAt: string;
  /** Series "major.minor" → what its newest release says. */
  series: Readonly<Record<string, DjangoSeries>>;
}

/** One Django series, as its newest non-yanked release describes it. */
export interface DjangoSeries {
  /** Python "3.X" versions, oldest first: the release's classifiers that its Requires-Python admits. */
  python: readonly string[];
  /** The newest release of the series (final when there is one): what a cell of the series installs. */
  latest: string;
  /** True while the series has only pre-releases (6.2a1…): planned only when a project names it. */
  prerelease?: boolean;
}

/** True when Django `cell.django` supports Python `cell.python` (PyPy: the language version it implements); false for a series the table lacks. */
export function isSupported(table: DjangoSupportTable, cell: Pick<Cell, "python" | "django">): boolean {
  return seriesOf(table, cell.django)?.python.includes(pythonLanguageVersion(cell.python)) ?? false;
}

/** True when the table has the series (pre-release or not). */
export function isKnownDjango(table: DjangoSupportTable, django: string): boolean {
  return seriesOf(table, django) !== undefined;
}

/** Final series of the table, oldest first (pre-release series only with `pre`). */
export function listKnownDjango(table: DjangoSupportTable, options: { pre?: boolean } = {}): string[] {
  return Object.entries(table.series).filter(([, s]) => options.pre || !s.prerelease).map(([name]) => name).sort(compareVersions);
}

/** Python versions Django `django` supports, oldest first (empty for a series the table lacks). */
export function listSupportedPython(table: DjangoSupportTable, django: string): string[] {
  return [...(seriesOf(table, django)?.python ?? [])];
}

function seriesOf(table: DjangoSupportTable, django: string): DjangoSeries | undefined {
  return Object.hasOwn(table.series, django) ? table.series[django] : undefined;
}

const SERIES = /^\d{1,3}\.\d{1,3}$/;
const PYTHON = /^3\.\d{1,3}$/;
const RELEASE = /^\d{1,3}\.\d{1,3}(\.\d{1,4})?((a|b|rc)\d{1,4})?$/;

/**
 * Check a table read from a file (cache, snapshot, operator's override):
 * every key and version in the shapes above, nothing else kept.
 * @throws Error naming `file` and the first thing wrong.
 */
export function parseDjangoSupport(text: string, file: string): DjangoSupportTable {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what} (expected {"series": {"5.2": {"python": ["3.10", …], "latest": "5.2.9"}}})`);
  };
  if (!isRecord(raw) || !isRecord(raw.series)) return fail("no `series` object");
  const series: Record<string, DjangoSeries> = {};
  for (const [name, value] of Object.entries(raw.series)) {
    if (!SERIES.test(name)) fail(`series "${name.slice(0, 40)}" is not "major.minor"`);
    if (!isRecord(value) || !Array.isArray(value.python) || !value.python.every((p): p is string => typeof p === "string" && PYTHON.test(p))) {
      fail(`series ${name}: \`python\` must be a list of "3.X" versions`);
    }
    const entry = value as { python: string[]; latest?: unknown; prerelease?: unknown };
    const latest = typeof entry.latest === "string" && RELEASE.test(entry.latest) ? entry.latest : name;
    series[name] = { python: [...new Set(entry.python)].sort(compareVersions), latest, ...(entry.prerelease === true ? { prerelease: true } : {}) };
  }
  const source = typeof raw.source === "string" ? raw.source.slice(0, 500) : file;
  const fetchedAt = typeof raw.fetchedAt === "string" && !Number.isNaN(Date.parse(raw.fetchedAt)) ? raw.fetchedAt : new Date(0).toISOString();
  return { source, fetchedAt, series };
}

/** The table as the files hold it: series in version order, stable for diffs. */
export function serializeDjangoSupport(table: DjangoSupportTable): string {
  const series = Object.fromEntries(Object.keys(table.series).sort(compareVersions).map((name) => [name, table.series[name]]));
  return `${JSON.stringify({ source: table.source, fetchedAt: table.fetchedAt, series }, null, 2)}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The shipped snapshot (npm run snapshot:django writes it); from dist/, the source tree's copy. */
export const SNAPSHOT_FILE = path.resolve(HERE, HERE.includes(`${path.sep}dist${path.sep}`) ? "../../../../src/builds/versions" : ".", "django-support-snapshot.json");

let shipped: DjangoSupportTable | undefined;

/** The snapshot shipped in the package: what a machine that never reached an index plans with. */
export function shippedDjangoSupport(): DjangoSupportTable {
  shipped ??= { ...parseDjangoSupport(readFileSync(SNAPSHOT_FILE, "utf8"), SNAPSHOT_FILE), source: "snapshot" };
  return shipped;
}

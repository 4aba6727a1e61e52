import { compareVersions } from "../../domain/compare-versions.js";
import type { Cell } from "../../domain/cell.js";

/**
 * THE compatibility table: which Python versions each Django release supports,
 * copied from Django's FAQ ("What Python version can I use with Django?",
 * https://docs.djangoproject.com/en/dev/faq/install/#faq-python-version-support).
 * `addedIn` records Python versions supported only from a later patch release;
 * the runner installs the newest patch release of a series, so they count as
 * supported. Update this table (and docs/repo-config.md) when Django ships.
 */
export const djangoPythonSupport: Readonly<Record<string, DjangoSupport>> = {
  "3.2": { python: ["3.6", "3.7", "3.8", "3.9", "3.10"], addedIn: { "3.10": "3.2.9" } },
  "4.0": { python: ["3.8", "3.9", "3.10"] },
  "4.1": { python: ["3.8", "3.9", "3.10", "3.11"], addedIn: { "3.11": "4.1.3" } },
  "4.2": { python: ["3.8", "3.9", "3.10", "3.11", "3.12"], addedIn: { "3.12": "4.2.8" } },
  "5.0": { python: ["3.10", "3.11", "3.12"] },
  "5.1": { python: ["3.10", "3.11", "3.12", "3.13"], addedIn: { "3.13": "5.1.3" } },
  "5.2": { python: ["3.10", "3.11", "3.12", "3.13", "3.14"], addedIn: { "3.14": "5.2.8" } },
  "6.0": { python: ["3.12", "3.13", "3.14"] },
};

/** One row of the compatibility table. */
export interface DjangoSupport {
  /** Python "major.minor" versions, oldest first. */
  readonly python: readonly string[];
  /** Python version → first Django patch release that supports it. */
  readonly addedIn?: Readonly<Record<string, string>>;
}

/**
 * Python versions a stock Pony CI installation has base images for
 * (ponyci/python:3.9, :3.11, :3.13). Callers pass the real list of the
 * installation as `availablePython`; this is only the default.
 */
export const defaultAvailablePython: readonly string[] = ["3.9", "3.11", "3.13"];

/** True when Django `cell.django` officially supports Python `cell.python`; false for a Django release missing from the table. */
export function isSupported(cell: Pick<Cell, "python" | "django">): boolean {
  return djangoPythonSupport[cell.django]?.python.includes(cell.python) ?? false;
}

/** True when the table has a row for this Django "major.minor" version. */
export function isKnownDjango(django: string): boolean {
  return Object.hasOwn(djangoPythonSupport, django);
}

/** Django versions in the table, oldest first. */
export function listKnownDjango(): string[] {
  return Object.keys(djangoPythonSupport).sort(compareVersions);
}

/** Python versions Django `django` supports, oldest first (empty for an unknown release). */
export function listSupportedPython(django: string): string[] {
  return [...(djangoPythonSupport[django]?.python ?? [])];
}

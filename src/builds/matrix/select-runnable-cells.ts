import { cellKey, cellName, type Cell } from "../../domain/cell.js";
import { compareVersions } from "../../domain/compare-versions.js";
import { defaultAvailablePython, isKnownDjango, isSupported, listKnownDjango } from "./django-compat.js";

/** Options for {@link selectRunnableCells}. */
export interface SelectRunnableCellsOptions {
  /** Python versions this installation has images for; defaults to {@link defaultAvailablePython}. */
  availablePython?: readonly string[];
}

/** Cells that can run, and one note per reason something was left out. */
export interface CellSelection {
  cells: Cell[];
  notes: string[];
}

/**
 * Keep the cells this installation can run, in their order: drop repeats,
 * Django releases missing from the compatibility table, Python versions the
 * Django release does not support, and Python versions without an image.
 * Each reason gives one human-readable note ("Django 5.2 does not support
 * Python 3.9: left out"); nothing is thrown.
 */
export function selectRunnableCells(cells: readonly Cell[], options: SelectRunnableCellsOptions = {}): CellSelection {
  const available = options.availablePython ?? defaultAvailablePython;
  const notes = new Set<string>();
  const seen = new Set<string>();
  const kept: Cell[] = [];
  for (const cell of cells) {
    const key = cellKey(cell);
    if (seen.has(key)) {
      notes.add(`${cellName(cell)} is listed twice: kept once`);
      continue;
    }
    seen.add(key);
    if (!isKnownDjango(cell.django)) {
      notes.add(`Django ${cell.django} is not in Pony CI's compatibility table (known: ${listKnownDjango().join(", ")}): left out`);
    } else if (!isSupported(cell)) {
      notes.add(`Django ${cell.django} does not support Python ${cell.python}: left out`);
    } else if (!available.includes(cell.python)) {
      const list = [...available].sort(compareVersions).join(", ");
      notes.add(`No Python ${cell.python} image on this installation (available: ${list}): left out`);
    } else {
      kept.push(cell);
    }
  }
  return { cells: kept, notes: [...notes] };
}

import { cellKey, cellName, type Cell } from "../../domain/cell.js";
import { comparePythonNames, pythonTitle } from "../../domain/python-name.js";
import { isKnownDjango, isSupported, listKnownDjango, shippedDjangoSupport, type DjangoSupportTable } from "../versions/django-support.js";

/** Options for {@link selectRunnableCells}. */
export interface SelectRunnableCellsOptions {
  /** Python versions this installation has (or can get) images for; undefined: no cell is left out for its Python image. */
  availablePython?: readonly string[];
  /** Django's support table (createDjangoSupportSource); default: the snapshot shipped with Pony CI. */
  djangoSupport?: DjangoSupportTable;
  /** What a left-out Python's note tells the operator to run, "{python}" replaced; default `ponyci images add {python}`. */
  addPythonCommand?: string;
}

/** Cells that can run, and one note per reason something was left out. */
export interface CellSelection {
  cells: Cell[];
  notes: string[];
}

/**
 * Keep the cells this installation can run, in their order: drop repeats,
 * Django series the package index does not know, Python versions the Django
 * series does not support, and Python versions without an image. A
 * pre-release series is kept: a cell names its series explicitly. Each
 * reason gives one human-readable note ("Django 5.2 does not support
 * Python 3.9: left out"); nothing is thrown.
 */
export function selectRunnableCells(cells: readonly Cell[], options: SelectRunnableCellsOptions = {}): CellSelection {
  const table = options.djangoSupport ?? shippedDjangoSupport();
  const available = options.availablePython;
  const addCommand = options.addPythonCommand ?? "ponyci images add {python}";
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
    if (!isKnownDjango(table, cell.django)) {
      notes.add(`Django ${cell.django} has no release on the package index (series known: ${listKnownDjango(table).join(", ")}; from ${table.source}): left out`);
    } else if (!isSupported(table, cell)) {
      notes.add(`Django ${cell.django} does not support ${pythonTitle(cell.python)}: left out`);
    } else if (available && !available.includes(cell.python)) {
      const list = [...available].sort(comparePythonNames).join(", ") || "none";
      notes.add(`${pythonTitle(cell.python)} is missing on this installation (it has ${list}): left out; add it with \`${addCommand.replaceAll("{python}", cell.python)}\``);
    } else {
      kept.push(cell);
    }
  }
  return { cells: kept, notes: [...notes] };
}

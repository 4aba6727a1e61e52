import type { Cell } from "../domain/cell.js";
import { selectRunnableCells, type SelectRunnableCellsOptions } from "./matrix/select-runnable-cells.js";
import { RepoConfigError } from "./config/repo-config-error.js";

export interface CellChoice {
  /** Where the cells came from: the plan's source, or "flags". */
  source: string;
  cells: Cell[];
  notes: string[];
}

/**
 * Narrow a planned matrix by `ponyci run`'s --python / --django flags. Pure.
 * Flags narrow, they never drop: the database axis (and so the services the
 * plan gives those cells) is kept whatever the flags say.
 * - no flags: the plan as it is;
 * - the plan came from the repository (config, tox, classifiers): its cells
 *   matching the flags; when none match, the flags' own cross product;
 * - the plan is the default matrix: the flags' cross product, a flag that is
 *   not given taking the default matrix's versions.
 * A cross product runs on every database of the plan (`services: [postgres]`
 * with no matrix plans a default matrix on PostgreSQL: `--python 3.11` keeps it).
 */
export function selectCells(plan: { source: string; cells: Cell[] }, flags: { python?: string[]; django?: string[] }, select: SelectRunnableCellsOptions = {}): CellChoice {
  if (!flags.python && !flags.django) return { source: plan.source, cells: plan.cells, notes: [] };
  const matches = (cell: Cell) => (!flags.python || flags.python.includes(cell.python)) && (!flags.django || flags.django.includes(cell.django));
  if (plan.source !== "default") {
    const kept = plan.cells.filter(matches);
    if (kept.length > 0) return { source: `${plan.source}, narrowed by flags`, cells: kept, notes: [] };
  }
  const pythons = flags.python ?? unique(plan.cells.map((c) => c.python));
  const djangos = flags.django ?? unique(plan.cells.map((c) => c.django));
  const databases = unique(plan.cells.map((c) => c.database));
  const product = pythons.flatMap((python) => djangos.flatMap((django) => databases.map((database) => (database === undefined ? { python, django } : { python, django, database }))));
  const selection = selectRunnableCells(product, select);
  return { source: "flags", cells: selection.cells, notes: selection.notes };
}

/**
 * The cap on cells per run, counted after the flags narrowed the matrix: a
 * repository matrix larger than the cap (django-sortedm2m's tox.ini has 33
 * cells) can still be run a slice at a time, as `tox -e` runs any env of
 * any envlist. Pure.
 * @throws RepoConfigError when the flags still leave more than `maxCells`.
 */
export function checkNarrowedCount(count: number, maxCells: number): void {
  if (count <= maxCells) return;
  throw new RepoConfigError({
    file: "--python/--django",
    message: `--python/--django leave ${count} cells, but Pony CI runs at most ${maxCells} per run (PONYCI_MAX_CELLS). Name fewer versions.`,
  });
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

import type { Cell } from "../domain/cell.js";
import { selectRunnableCells, type SelectRunnableCellsOptions } from "../builds/matrix/select-runnable-cells.js";

export interface CellChoice {
  /** Where the cells came from: the plan's source, or "flags". */
  source: string;
  cells: Cell[];
  notes: string[];
}

/**
 * Narrow a planned matrix by `ponyci run`'s --python / --django flags. Pure.
 * - no flags: the plan as it is;
 * - the plan came from the repository (config, tox, classifiers): its cells
 *   matching the flags; when none match, the flags' own cross product;
 * - the plan is the default matrix: the flags' cross product, a flag that is
 *   not given taking the default matrix's versions.
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
  const product = pythons.flatMap((python) => djangos.map((django) => ({ python, django })));
  const selection = selectRunnableCells(product, select);
  return { source: "flags", cells: selection.cells, notes: selection.notes };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

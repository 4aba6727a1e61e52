/**
 * One cell of a build matrix: a Python version and a Django version, both as
 * "major.minor" strings ("3.11", "5.2"). The runner resolves "5.2" to the
 * newest 5.2.x on PyPI when it builds the cell's environment.
 */
export interface Cell {
  python: string;
  django: string;
  /** Extra variables a matrix `include` entry attached to this cell. */
  vars?: Record<string, string>;
}

/** Readable name used for check runs and tables: "Python 3.13 · Django 5.2". */
export function cellName(cell: Cell): string {
  return `Python ${cell.python} · Django ${cell.django}`;
}

/** Stable key for maps and dedupe: "py3.13-dj5.2". */
export function cellKey(cell: Cell): string {
  return `py${cell.python}-dj${cell.django}`;
}

import type { Cell } from "../../domain/cell.js";
import type { DatabaseName } from "../../domain/database.js";
import { parseDatabaseName } from "./parse-database-name.js";
import { RepoConfigError } from "../config/repo-config-error.js";
import { combineMatrix } from "./combine-matrix.js";
import { comparePythonNames } from "../../domain/python-name.js";
import type { DjangoSupportTable } from "../versions/django-support.js";
import { selectRunnableCells, type CellSelection } from "./select-runnable-cells.js";

/** One `include` or `exclude` entry: python, django and (include only) extra variables. */
export type MatrixEntry = Readonly<Record<string, string>>;

/** 1-based lines of the matrix keys in the config file, for error messages. */
export interface MatrixLines {
  python?: number;
  django?: number;
  database?: number;
  /** Line of each include entry, by index. */
  include?: readonly number[];
  exclude?: readonly number[];
}

/** The matrix part of a repository config, GitHub Actions style. */
export interface MatrixSpec {
  python?: readonly string[];
  django?: readonly string[];
  /** The `database:` axis: "sqlite", "postgres", "mariadb". */
  database?: readonly DatabaseName[];
  include?: readonly MatrixEntry[];
  exclude?: readonly MatrixEntry[];
  /** Where the keys were written, when the spec came from a file. */
  lines?: MatrixLines;
}

/** Options for {@link expandMatrix}. */
export interface ExpandMatrixOptions {
  /** Most cells one commit may run; default {@link defaultMaxCells}. */
  maxCells?: number;
  /** Python versions this installation has images for. */
  availablePython?: readonly string[];
  /** Django's support table; default: the shipped snapshot. */
  djangoSupport?: DjangoSupportTable;
  /** File named in errors; default ".github/ponyci.yml". */
  file?: string;
}

/** Most python × django combinations (and include/exclude entries) a matrix may have before it is expanded. */
export const MAX_MATRIX_COMBINATIONS = 1024;

/** Default cap on cells per commit. */
export const defaultMaxCells = 24;

/**
 * Expand a matrix spec into the cells to run: GitHub Actions semantics for
 * include/exclude (see `combineMatrix`), extra include keys as `vars`, then
 * the cells Django does not support or this installation cannot run are left
 * out, each with a note.
 * @throws RepoConfigError when a combination lacks python or django, when no
 *   cell is left, or when more than `maxCells` are left.
 */
export function expandMatrix(spec: MatrixSpec, options: ExpandMatrixOptions = {}): CellSelection {
  const file = options.file ?? ".github/ponyci.yml";
  const lines = spec.lines ?? {};
  const matrixLine = lines.python ?? lines.django ?? lines.include?.[0];
  // Bounded before combining: the product of two long lists is not built to be refused afterwards.
  const product = (spec.python?.length ?? 1) * (spec.django?.length ?? 1);
  const entries = (spec.include?.length ?? 0) + (spec.exclude?.length ?? 0);
  if (product > MAX_MATRIX_COMBINATIONS || entries > MAX_MATRIX_COMBINATIONS) {
    throw new RepoConfigError({
      file, line: matrixLine,
      message: `${file}: the matrix has ${Math.max(product, entries)} combinations or entries; Pony CI reads at most ${MAX_MATRIX_COMBINATIONS} (and runs at most ${options.maxCells ?? defaultMaxCells} cells). List fewer versions.`,
    });
  }
  const axes: Record<string, readonly string[]> = {};
  if (spec.python) axes.python = spec.python;
  if (spec.django) axes.django = spec.django;
  if (spec.database) axes.database = spec.database;
  const combinations = combineMatrix(axes, { include: spec.include, exclude: spec.exclude });
  const cells = combinations.map(({ values, addedBy }): Cell => {
    const { python, django, database: databaseText, ...vars } = values;
    if (python === undefined || django === undefined) {
      const missing = python === undefined ? "python" : "django";
      const line = addedBy === undefined ? matrixLine : lines.include?.[addedBy];
      const where = addedBy === undefined ? "the matrix" : `include entry ${addedBy + 1} adds a combination that`;
      throw new RepoConfigError({
        file, line,
        message: `${file}: ${where} has no ${missing} version: add \`${missing}:\` ${addedBy === undefined ? "to the matrix" : "to that entry"}, e.g. ${missing}: "${missing === "python" ? "3.13" : "5.2"}"`,
      });
    }
    const database = databaseText === undefined ? undefined : parseDatabaseName(databaseText);
    if (databaseText !== undefined && database === undefined) {
      throw new RepoConfigError({
        file, line: addedBy === undefined ? lines.database : lines.include?.[addedBy],
        message: `${file}: database "${databaseText}" is not known: use sqlite, postgres, mariadb or postgis (mysql runs on mariadb)`,
      });
    }
    const cell: Cell = database === undefined ? { python, django } : { python, django, database };
    return Object.keys(vars).length > 0 ? { ...cell, vars } : cell;
  });
  const selection = selectRunnableCells(cells, { availablePython: options.availablePython, djangoSupport: options.djangoSupport });
  checkCellCount(selection, { file, line: matrixLine, maxCells: options.maxCells, availablePython: options.availablePython });
  return selection;
}

/** Options for {@link checkCellCount}. */
export interface CheckCellCountOptions {
  file: string;
  line?: number;
  maxCells?: number;
  availablePython?: readonly string[];
}

/**
 * Refuse a selection with no cell or more than `maxCells` cells.
 * @throws RepoConfigError saying why and how to fix the matrix.
 */
export function checkCellCount(selection: CellSelection, options: CheckCellCountOptions): void {
  const { file, line } = options;
  const maxCells = options.maxCells ?? defaultMaxCells;
  if (selection.cells.length === 0) {
    const available = options.availablePython ? ` (${[...options.availablePython].sort(comparePythonNames).join(", ")})` : "";
    const why = selection.notes.length > 0 ? ` (${selection.notes.join("; ")})` : "";
    throw new RepoConfigError({
      file, line,
      message: `${file}: the matrix leaves no cell to run${why}. Pick Django versions that support the Python versions this installation has${available}.`,
    });
  }
  if (selection.cells.length > maxCells) {
    throw new RepoConfigError({
      file, line,
      message: `${file}: the matrix has ${selection.cells.length} cells, but Pony CI runs at most ${maxCells} per commit. List fewer Python or Django versions, or leave some combinations out with \`exclude:\`.`,
    });
  }
}

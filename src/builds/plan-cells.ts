import { cellKey, type Cell } from "../domain/cell.js";
import type { BuildRequest } from "../domain/build-request.js";
import type { JobSpec } from "../domain/job-spec.js";
import { RepoConfigError } from "./config/repo-config-error.js";
import { defaultMaxCells, MAX_MATRIX_COMBINATIONS } from "./matrix/expand-matrix.js";
import { ExpansionLimitError } from "./matrix/expand-tox-envlist.js";
import type { ReadRepoFile } from "./matrix/read-repo-file.js";
import { planJobSpec } from "./plan-job-spec.js";
import { planMatrix, type MatrixPlan, type PlanMatrixOptions } from "./plan-matrix.js";
import { checkNarrowedCount, selectCells } from "./select-cells.js";

/** What a build's planning decided: the matrix, the cells it runs (narrowed, re-run's), their specs. */
export interface PlannedCells {
  plan: MatrixPlan;
  /** Where the cells came from: the plan's source, "…, narrowed by flags", or "flags". */
  source: string;
  /** The plan's notes and the narrowing's. */
  notes: string[];
  cells: Cell[];
  /** One per cell, in order. */
  specs: JobSpec[];
}

/**
 * A build's cells from the repository's files at its commit: the one
 * decision the server's builds and `ponyci run` (its runs and `--list`)
 * share. Pure. In order:
 * 1. the matrix (planMatrix), with the request's {posargs};
 * 2. the request's `narrow` (--python/--django) narrows it: the cap then
 *    counts the cells the flags leave (a 33-cell tox.ini still runs
 *    `--python 3.12`), not the whole matrix;
 * 3. a re-run keeps the cells it asks for;
 * 4. each cell's job spec (planJobSpec), with the re-run's tests and the posargs.
 * @throws RepoConfigError for a broken config, a matrix over the cap, tox
 *   alternatives past the expansion limit (naming the file), or flags that
 *   leave no cell.
 */
export function planCells(read: ReadRepoFile, files: ReadonlyMap<string, string | undefined>, request: Pick<BuildRequest, "narrow" | "posargs" | "rerun">, options: Omit<PlanMatrixOptions, "posargs">): PlannedCells {
  const flags = { python: nonEmpty(request.narrow?.python), django: nonEmpty(request.narrow?.django) };
  const narrowed = flags.python !== undefined || flags.django !== undefined;
  const planOptions = { ...options, maxCells: narrowed ? MAX_MATRIX_COMBINATIONS : options.maxCells, posargs: request.posargs };
  let plan: MatrixPlan;
  try {
    plan = planMatrix(read, planOptions);
  } catch (error) {
    if (!(error instanceof ExpansionLimitError)) throw error;
    const file = ["tox.ini", "setup.cfg", "pyproject.toml"].find((path) => files.get(path)?.includes("tox")) ?? "tox.ini";
    throw new RepoConfigError({ file, message: `${file}: ${error.message}. Write fewer {…} alternatives.`, cause: error });
  }
  const selection = selectCells(plan, flags, planOptions);
  if (narrowed) {
    checkNarrowedCount(selection.cells.length, options.maxCells ?? defaultMaxCells);
    if (selection.cells.length === 0) throw new RepoConfigError({ file: "--python/--django", message: "No cell to run: the flags leave nothing of the matrix" });
  }
  const cells = selectRerunCells(selection.cells, request.rerun?.cells);
  const specs = cells.map((cell) => planJobSpec(plan, cell, { onlyTests: request.rerun?.onlyTests, posargs: request.posargs }));
  return { plan, source: selection.source, notes: [...plan.notes, ...selection.notes], cells, specs };
}

/** A re-run's cells: those of the plan matching the asked ones, else the asked ones as they are. */
function selectRerunCells(planned: Cell[], asked: Cell[] | undefined): Cell[] {
  if (!asked) return planned;
  const keys = new Set(asked.map(cellKey));
  const kept = planned.filter((cell) => keys.has(cellKey(cell)));
  return kept.length > 0 ? kept : asked;
}

function nonEmpty(values: string[] | undefined): string[] | undefined {
  return values && values.length > 0 ? values : undefined;
}

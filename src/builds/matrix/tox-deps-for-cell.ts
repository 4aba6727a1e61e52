import { cellKey, type Cell } from "../../domain/cell.js";
import { toxPythonFactor } from "../../domain/python-name.js";
import { matrixFromTox } from "./matrix-from-tox.js";
import type { ReadRepoFile } from "./read-repo-file.js";
import { readToxConfig } from "./read-tox-config.js";
import { resolveToxDeps } from "./resolve-tox-deps.js";

/**
 * The test dependencies the repository's tox configuration declares for one
 * cell, factor conditions resolved and the Django requirement left out (the
 * runner installs the cell's Django itself). Uses the first envlist env that
 * maps to the cell; for a cell no env names (say one from
 * `.github/ponyci.yml`), conditions naming the cell's Python or Django
 * version match in any spelling (py311/py3.11, django42/dj42).
 * Undefined when the repository has no tox configuration.
 */
export function toxDepsForCell(readFile: ReadRepoFile, cell: Pick<Cell, "python" | "django" | "database">): string[] | undefined {
  const tox = readToxConfig(readFile);
  if (!tox) return undefined;
  const env = matrixFromTox(readFile)?.envs.find((e) => e.cell && cellKey(e.cell) === cellKey(cell));
  if (env) return env.deps;
  const db = cell.database === undefined ? "" : `-${cell.database}`;
  const name = `${toxPythonFactor(cell.python)}-django${cell.django.replace(".", "")}${db}`;
  return resolveToxDeps(tox, { name, cell });
}

import { cellKey, type Cell } from "../../domain/cell.js";
import { isPyPy, pythonLanguageVersion } from "../../domain/python-name.js";
import type { ToxEnvCell } from "../matrix/matrix-from-tox.js";

/** The tox env a cell runs, and whether it is the cell's own or only the nearest. */
export interface PickedToxEnv {
  name: string;
  exact: boolean;
}

/**
 * The envlist env to run for a cell: the first one whose Python and Django
 * are the cell's; else the nearest (a cell the flags or `.github/ponyci.yml`
 * chose outside the envlist): the closest Django release, then the closest
 * Python, ties going to the older release, then envlist order. Undefined
 * when no env names a Django release. Pure.
 */
export function pickToxEnv(envs: readonly ToxEnvCell[], cell: Pick<Cell, "python" | "django" | "database">): PickedToxEnv | undefined {
  const candidates = envs.filter((env): env is ToxEnvCell & { cell: Cell } => env.cell !== undefined);
  // An env naming no database is the cell's own for any database its services give (a workflow's or `services:`).
  const exact = candidates.find((env) => cellKey(env.cell) === cellKey(cell))
    ?? candidates.find((env) => env.cell.database === undefined && env.cell.python === cell.python && env.cell.django === cell.django);
  if (exact) return { name: exact.name, exact: true };
  let best: { name: string; score: number[] } | undefined;
  for (const [index, env] of candidates.entries()) {
    const django = distance(env.cell.django, cell.django);
    const python = distance(pythonLanguageVersion(env.cell.python), pythonLanguageVersion(cell.python));
    const implementation = isPyPy(env.cell.python) === isPyPy(cell.python) ? 0 : 1;
    // A different database is the worst mismatch: its set_env and deps are for another server.
    const database = (env.cell.database ?? "sqlite") === (cell.database ?? "sqlite") ? 0 : 1;
    const score = [database, Math.abs(django), django > 0 ? 1 : 0, implementation, Math.abs(python), python > 0 ? 1 : 0, index];
    if (!best || compareScores(score, best.score) < 0) best = { name: env.name, score };
  }
  return best ? { name: best.name, exact: false } : undefined;
}

/** Signed distance between two "major.minor" versions, in minor releases (a major counts 100). */
function distance(version: string, wanted: string): number {
  const [a = 0, b = 0] = version.split(".").map(Number);
  const [c = 0, d = 0] = wanted.split(".").map(Number);
  return a * 100 + b - (c * 100 + d);
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

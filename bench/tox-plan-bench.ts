/**
 * Planning cost of reading what a tox env runs: planning the job specs of the
 * cells of a 26-env tox.ini (commands, set_env, deps, references, factors) against
 * planning the same matrix's cells alone, in one run; reported as a ratio
 * and per cell. Pure CPU, no Docker.
 *
 * Run after `npm run build`: `node dist/bench/tox-plan-bench.js [rounds]` (default 200).
 */
import { planJobSpec } from "../src/builds/plan-job-spec.js";
import { planMatrix } from "../src/builds/plan-matrix.js";
import type { BenchRow } from "./support/bench-row.js";
import { isMainModule } from "./support/is-main-module.js";

/** A tox.ini like a popular Django package's: 24 envs, factor deps and set_env, references. */
export const BENCH_TOX_INI = `[tox]
envlist =
    py{310,311,312,313}-django{42,51,52}-{sqlite3,postgres}
    lint, docs

[base]
settings = --settings=tests.settings
test = {envpython} -W error::DeprecationWarning -m django test {[base]settings} {posargs:tests}

[testenv]
deps =
    coverage[toml]
    factory-boy>=3.2
    django42: Django>=4.2,<5.0
    django51: Django>=5.1,<5.2
    django52: Django>=5.2,<6.0
    postgres: psycopg[binary]>=3.1
setenv =
    PYTHONPATH = {toxinidir}
    PYTHONDEVMODE = 1
    sqlite3: DB_ENGINE = sqlite3
    postgres: DB_ENGINE = postgresql
passenv = DATABASE_URL
commands_pre = - {envpython} -m pip list
commands = coverage run -m django test {[base]settings} {posargs:tests}
commands_post = coverage report

[testenv:lint]
skip_install = true
deps = ruff
commands = ruff check .
`;

const read = (file: string) => (file === "tox.ini" ? BENCH_TOX_INI : undefined);

function time(rounds: number, work: () => void): number {
  work(); // warm-up: the JIT, not the measurement
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) work();
  return (performance.now() - t0) / rounds;
}

/** Rows for the summary table. */
export function runToxPlanBench(rounds = 200): BenchRow[] {
  let cells = 0;
  const matrixMs = time(rounds, () => {
    cells = planMatrix(read, { availablePython: ["3.10", "3.11", "3.12", "3.13"] }).cells.length;
  });
  const specsMs = time(rounds, () => {
    const plan = planMatrix(read, { availablePython: ["3.10", "3.11", "3.12", "3.13"] });
    for (const cell of plan.cells) planJobSpec(plan, cell);
  });
  console.log(`tox-plan: ${cells} cells; matrix alone ${matrixMs.toFixed(2)} ms, with every job spec ${specsMs.toFixed(2)} ms (mean of ${rounds} rounds)`);
  return [
    { bench: "tox-plan", metric: `plan ${cells} cells with job specs`, value: `${specsMs.toFixed(2)} ms` },
    { bench: "tox-plan", metric: "per cell (job spec only)", value: `${((specsMs - matrixMs) / Math.max(1, cells)).toFixed(3)} ms` },
    { bench: "tox-plan", metric: "job specs ÷ matrix alone", value: `${(specsMs / matrixMs).toFixed(1)}×` },
  ];
}

if (isMainModule(import.meta.url)) {
  const rows = runToxPlanBench(Number(process.argv[2] ?? 200));
  for (const row of rows) console.log(`${row.metric}: ${row.value}`);
}

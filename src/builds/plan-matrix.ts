import type { Cell } from "../domain/cell.js";
import { ciEnvironment, containerFixedEnvironment } from "../domain/ci-environment.js";
import { RepoConfigError } from "./config/repo-config-error.js";
import { parseRepoConfig } from "./config/parse-repo-config.js";
import { createDefaultRepoConfig, repoConfigPaths, type RepoConfig } from "./config/repo-config.js";
import { comparePythonNames } from "../domain/python-name.js";
import { listKnownDjango, listSupportedPython, shippedDjangoSupport, type DjangoSupportTable } from "./versions/django-support.js";
import { checkCellCount, expandMatrix, type MatrixSpec } from "./matrix/expand-matrix.js";
import { matrixFromClassifiers } from "./matrix/matrix-from-classifiers.js";
import { matrixFromTox } from "./matrix/matrix-from-tox.js";
import type { ReadRepoFile } from "./matrix/read-repo-file.js";
import { selectRunnableCells } from "./matrix/select-runnable-cells.js";
import { toxDepsForCell } from "./matrix/tox-deps-for-cell.js";
import { addDatabaseAxis, checkServices, servicesWithToxDefaults } from "./matrix/check-services.js";
import type { ServiceSpec } from "../domain/database.js";
import { planToxJob, type ToxJobParts } from "./tox/plan-tox-job.js";
import { listWorkflowFiles, servicesFromWorkflows, workflowEnvFor, type WorkflowServices } from "./matrix/services-from-workflows.js";
import { servicesFromSettings } from "./matrix/services-from-settings.js";

/** Where a build's matrix came from. */
export type MatrixSource = "config" | "tox" | "classifiers" | "default";

/** The cells to run for one commit, and why. */
export interface MatrixPlan {
  source: MatrixSource;
  cells: Cell[];
  /** Human-readable notes: what was left out and why, which sources were skipped. */
  notes: string[];
  /** The repository settings (defaults when it has no config file). */
  config: RepoConfig;
  /**
   * Test dependencies the repository's tox configuration declares for a cell
   * (factor conditions resolved, Django left out); undefined without tox.
   * `config.install`, when set, takes precedence over these.
   */
  depsFor: (cell: Pick<Cell, "python" | "django" | "database">) => string[] | undefined;
  /**
   * The database services cells may use: the config's `services:`, plus a
   * default service for each database a tox envlist's factors ask for. Every
   * cell's database is among them (checked when planning).
   */
  services: ServiceSpec[];
  /**
   * The repository's tox env for a cell (its own, else the nearest) and what
   * it means for the job: commands, set_env, deps, notes. Undefined without
   * tox configuration. Optional so plans made by hand (tests, benchmarks) need not say.
   */
  toxFor?: (cell: Pick<Cell, "python" | "django" | "database">) => ToxJobParts | undefined;
  /**
   * The repository's files at the commit, for planJobSpec's requirement
   * detection (requirement files, package metadata, `-r` includes).
   * Optional so plans made by hand need not say: then nothing is detected.
   */
  readFile?: ReadRepoFile;
  /**
   * Variables of the GitHub Actions job whose database services the plan
   * took (no `services:` in the config): under tox's set_env and the config's `env:`.
   */
  workflowEnv?: Record<string, string>;
  /** Each database's own job env from those workflows (see workflowEnvFor): a cell runs with its database's. */
  workflowEnvByService?: WorkflowServices["envByService"];
}

/** Options for {@link planMatrix}. */
export interface PlanMatrixOptions {
  /** Python versions this installation has (or can get) images for; undefined: every Python a Django series supports. */
  availablePython?: readonly string[];
  /**
   * The Pythons among `availablePython` that already have an image: the
   * default matrix and a tox env naming no Python use these, so a project
   * that names no version never waits for an image to be built. Default: `availablePython`.
   */
  installedPython?: readonly string[];
  /** Django's support table (createDjangoSupportSource); default: the snapshot shipped with Pony CI. */
  djangoSupport?: DjangoSupportTable;
  /** The command a note on a missing Python names, "{python}" replaced; default `ponyci images add {python}`. */
  addPythonCommand?: string;
  /** Most cells per commit; default 24. */
  maxCells?: number;
  /** `ponyci run … -- ARGS`: tox's {posargs} in the tox env's commands (see resolveToxEnv); undefined without `--`. */
  posargs?: readonly string[];
}

/** What `{env:X}` of a tox setting sees inside a test container, besides set_env and the config's `env:`. */
const containerEnviron: Readonly<Record<string, string>> = { ...ciEnvironment, ...containerFixedEnvironment };

/**
 * Django series of the default matrix: the two newest long-term support
 * series the table knows. Django's release policy makes every X.2 an LTS
 * (https://www.djangoproject.com/download/#supported-versions): a rule, not a list.
 */
export function defaultDjangoOf(table: DjangoSupportTable): string[] {
  return listKnownDjango(table).filter((series) => series.endsWith(".2")).slice(-2);
}

/** How many of the newest available Python versions the default matrix uses. */
const defaultPythonCount = 2;

/**
 * Decide which cells to run for a commit, from the first source that gives
 * any (reference: docs/repo-config.md):
 * 1. `.github/ponyci.yml` with python/django/include/exclude (a missing axis takes its default);
 * 2. the tox envlist (tox.ini, setup.cfg, pyproject.toml legacy_tox_ini);
 * 3. trove classifiers (pyproject.toml, setup.cfg);
 * 4. the default: the two newest Django LTS series × the two newest
 *    Pythons available that the newer one supports, unsupported pairs left out.
 * A config file without matrix keys still supplies the other settings.
 * Pure: reads files only through `readFile`.
 * @throws RepoConfigError when the config file is broken, or when the chosen
 *   source leaves no cell (config, default) or more than `maxCells`.
 */
export function planMatrix(readFile: ReadRepoFile, options: PlanMatrixOptions = {}): MatrixPlan {
  const table = options.djangoSupport ?? shippedDjangoSupport();
  const available = options.availablePython ? [...options.availablePython].sort(comparePythonNames) : undefined;
  const installed = options.installedPython && options.installedPython.length > 0 ? [...options.installedPython].sort(comparePythonNames) : available;
  const select = { availablePython: available, djangoSupport: table, addPythonCommand: options.addPythonCommand, maxCells: options.maxCells };
  const defaultDjango = defaultDjangoOf(table);
  const notes: string[] = [];
  const ownConfig = readRepoConfig(readFile, notes);
  // Zero config: the database services the project's own CI starts, when its config names none.
  const workflow = ownConfig.services.length === 0 ? servicesFromWorkflows(readFile) : undefined;
  // Else the database engine its test settings use when no variable is set (services-from-settings.ts).
  // Only once the workflows are read (a listed file reads undefined until its round): a project whose CI
  // names its database is never asked for its settings files.
  const workflowsRead = listWorkflowFiles(readFile).every((file) => readFile(file) !== undefined);
  const settings = ownConfig.services.length === 0 && !workflow && workflowsRead ? servicesFromSettings(readFile, notes) : undefined;
  const found = workflow?.services ?? (settings ? [{ name: settings.service, args: [] }] : undefined);
  const config = found ? { ...ownConfig, services: found } : ownConfig;
  const workflowEnv = workflow ? { workflowEnv: workflow.env, workflowEnvByService: workflow.envByService } : {};
  if (workflow) notes.push(`${workflow.file} starts ${workflow.services.map((s) => s.name).join(" and ")} for its tests: the cells run beside ${workflow.services.length > 1 ? "them" : "it"}, with that job's env`);
  if (settings) notes.push(`${settings.file} uses ${settings.service} when no variable is set: cells without a database of their own run beside a ${settings.service} service`);
  const depsFor = (cell: Pick<Cell, "python" | "django" | "database">) => toxDepsForCell(readFile, cell);
  const toxFor = (cell: Pick<Cell, "python" | "django" | "database">) =>
    // tox runs under its CI job's env: `{env:DB_HOST:localhost}` sees the job's DB_HOST.
    planToxJob(readFile, cell, { availablePython: installed, djangoSupport: table, configEnv: config.env, environ: { ...containerEnviron, ...workflowEnvFor(workflow, cell.database) }, posargs: options.posargs });
  const newestLts = listSupportedPython(table, defaultDjango.at(-1) ?? "");
  const supportedPython = (installed ?? newestLts).filter((python) => newestLts.includes(python)).slice(-defaultPythonCount);
  // None of them supported: the newest the installation has, so the error below says what it has.
  const defaultPython = supportedPython.length > 0 ? supportedPython : (installed ?? []).slice(-defaultPythonCount);

  if (config.matrix && config.file) {
    const spec = fillDatabaseAxis(fillMissingAxis(config.matrix, defaultPython, defaultDjango, config.file, notes), config, notes);
    const expanded = expandMatrix(spec, { ...select, file: config.file });
    const lines = config.matrix.lines ?? {};
    checkServices(expanded.cells, config.services, { file: config.file, line: lines.database ?? lines.include?.[0] ?? lines.python });
    return { source: "config", cells: expanded.cells, notes: [...notes, ...expanded.notes], config, depsFor, services: config.services, toxFor, readFile, ...workflowEnv };
  }

  const derived = [
    { source: "tox" as const, read: () => matrixFromTox(readFile, { ...select, availablePython: installed }), what: "envlist" },
    { source: "classifiers" as const, read: () => matrixFromClassifiers(readFile), what: "classifiers" },
  ];
  for (const { source, read, what } of derived) {
    const found = read();
    if (!found) continue;
    const selection = selectRunnableCells(addDatabaseAxis(found.cells, config.services), select);
    notes.push(...found.notes, ...selection.notes);
    if (selection.cells.length === 0) {
      notes.push(`${found.file} ${what} gives no cell this installation can run: not used`);
      continue;
    }
    checkCellCount(selection, { file: found.file, line: found.line, maxCells: options.maxCells, availablePython: available });
    // tox's database factors ask for their services themselves: a working tox.ini needs no other file.
    const services = source === "tox" ? servicesWithToxDefaults(config.services, selection.cells) : config.services;
    for (const service of services.slice(config.services.length)) notes.push(`tox factors ask for ${service.name}: a ${service.name} service runs beside those cells`);
    checkServices(selection.cells, services, { file: config.file ?? found.file });
    return { source, cells: selection.cells, notes, config, depsFor, services, toxFor, readFile, ...workflowEnv };
  }

  const cells = defaultPython.flatMap((python) => defaultDjango.map((django) => ({ python, django })));
  const selection = selectRunnableCells(addDatabaseAxis(cells, config.services), select);
  notes.push(...selection.notes);
  if (selection.cells.length === 0) {
    const file = config.file ?? repoConfigPaths[0] ?? ".github/ponyci.yml";
    throw new RepoConfigError({
      file,
      message: `The default matrix (Python ${defaultPython.join(", ")} × Django ${defaultDjango.join(", ")}) leaves no cell this installation can run (${selection.notes.join("; ")}). Add \`python:\` and \`django:\` lists to ${file}.`,
    });
  }
  return { source: "default", cells: selection.cells, notes, config, depsFor, services: config.services, toxFor, readFile, ...workflowEnv };
}

function readRepoConfig(readFile: ReadRepoFile, notes: string[]): RepoConfig {
  const found = repoConfigPaths.flatMap((file) => {
    const text = readFile(file);
    return text === undefined ? [] : [{ file, text }];
  });
  const first = found[0];
  if (!first) return createDefaultRepoConfig();
  if (found.length > 1) notes.push(`Both ${found.map((f) => f.file).join(" and ")} exist: using ${first.file}`);
  return parseRepoConfig(first.text, { file: first.file });
}

/** A config with `services:` but no `database:` axis runs every cell on its services (sqlite stays out). */
function fillDatabaseAxis(spec: MatrixSpec, config: RepoConfig, notes: string[]): MatrixSpec {
  if (spec.database || config.services.length === 0 || (!spec.python && !spec.django)) return spec;
  const names = config.services.map((s) => s.name);
  notes.push(`${config.file ?? ".github/ponyci.yml"} has \`services:\` but no \`database:\` list: every cell runs on ${names.join(" and ")}`);
  return { ...spec, database: names };
}

/** A spec naming only python (or only django) gets the default of the other axis; include-only specs stay as they are. */
function fillMissingAxis(spec: MatrixSpec, defaultPython: readonly string[], defaultDjango: readonly string[], file: string, notes: string[]): MatrixSpec {
  if (spec.python && !spec.django) {
    notes.push(`${file} has no \`django:\` list: using Django ${defaultDjango.join(", ")}`);
    return { ...spec, django: defaultDjango };
  }
  if (spec.django && !spec.python) {
    notes.push(`${file} has no \`python:\` list: using Python ${defaultPython.join(", ")}`);
    return { ...spec, python: defaultPython };
  }
  return spec;
}

import { parseDocument } from "yaml";
import type { ServiceName, ServiceSpec } from "../../domain/database.js";
import { parseDatabaseName } from "./parse-database-name.js";
import type { ReadRepoFile } from "./read-repo-file.js";

/** The directory GitHub Actions reads workflows from; read as a listing (see ReadRepoFile). */
export const WORKFLOWS_DIR = ".github/workflows/";

/** What a project's GitHub Actions workflows say its tests need. */
export interface WorkflowServices {
  /** The workflow file the services came from. */
  file: string;
  /** Database services its job starts (`services:` images that are PostgreSQL, PostGIS, MySQL or MariaDB). */
  services: ServiceSpec[];
  /**
   * Literal variables of the workflow's and that job's `env:`, over its
   * services' own `env:` (POSTGRES_USER…: the credentials the tests use);
   * `${{ env.NAME }}` filled in from them, other expressions left out.
   */
  env: Record<string, string>;
  /**
   * Each database's own job env (the first job, in file and job order, that
   * starts it; the same shape as `env`): a cell runs with its database's job
   * env, as a project's MySQL job says `DB_HOST: 127.0.0.1, DB_PORT: 3306`
   * and its PostgreSQL job says otherwise (django-debug-toolbar). See workflowEnvFor.
   */
  envByService: Partial<Record<ServiceName, Record<string, string>>>;
}

/** Bounds: workflow files read, variables kept, a value's length. */
const maxWorkflows = 20;
const maxVariables = 100;
const maxValueLength = 1000;
const maxAliases = 100;
const maxSteps = 100;

/**
 * The database services (and the variables beside them) a repository's
 * GitHub Actions workflows start for their tests: the first job, in file
 * name order, whose `services:` run a database image (`postgres:15-alpine`,
 * `postgis/postgis`, `mysql:8`, `mariadb`), and each database's own job env
 * (its services' env, the workflow's and job's env, and its test steps' env,
 * later over earlier as GitHub gives them). The files are data, read with
 * the planner's size bounds and an alias cap, never run; a file that is not
 * valid YAML is passed over. Versions are not taken (the installation runs
 * its own). Pure: reads through `readFile` (the directory as a listing).
 */
export function servicesFromWorkflows(readFile: ReadRepoFile): WorkflowServices | undefined {
  const files = listWorkflowFiles(readFile);
  let first: Omit<WorkflowServices, "envByService"> | undefined;
  const envByService: Partial<Record<ServiceName, Record<string, string>>> = {};
  for (const file of files) {
    const workflow = readYaml(readFile(file));
    const jobs = asMap(workflow?.jobs);
    if (!workflow || !jobs) continue;
    for (const job of Object.values(jobs).map(asMap)) {
      const services = asMap(job?.services);
      if (!job || !services) continue;
      const outer = literalEnv(workflow.env, {});
      const jobEnv = { ...outer, ...literalEnv(job.env, outer) };
      const found: ServiceSpec[] = [];
      const serviceEnv: Record<string, string> = {};
      for (const service of Object.values(services).map(asMap)) {
        const name = typeof service?.image === "string" ? serviceOfImage(service.image) : undefined;
        if (!name || found.some((s) => s.name === name)) continue;
        found.push({ name, args: [] });
        Object.assign(serviceEnv, literalEnv(service?.env, jobEnv));
      }
      if (found.length === 0) continue;
      const entries = Object.entries({ ...serviceEnv, ...jobEnv, ...testStepEnv(job.steps, jobEnv) });
      const env = Object.fromEntries(entries.slice(0, maxVariables));
      first ??= { file, services: found, env };
      for (const service of found) envByService[service.name] ??= env;
    }
  }
  return first && { ...first, envByService };
}

/**
 * The job env a cell on `database` runs with: its database's own job's, else
 * (PostGIS is a PostgreSQL server) its sibling's; none for a cell without a
 * database service (SQLite), which no database job describes. Pure.
 */
export function workflowEnvFor(workflow: Pick<WorkflowServices, "envByService"> | undefined, database: string | undefined): Record<string, string> | undefined {
  const byService = workflow?.envByService ?? {};
  if (database === "postgres" || database === "postgis") return byService[database] ?? byService[database === "postgres" ? "postgis" : "postgres"];
  return database === "mariadb" ? byService.mariadb : undefined;
}

/**
 * The `env:` of a job's steps that run the tests (`run:` naming tox, nox,
 * pytest, a manage.py/runtests.py/django-admin test, coverage or make):
 * GitHub gives a step's env over its job's, and projects put the database
 * host and port there (django-debug-toolbar's "Test with tox" step).
 */
function testStepEnv(steps: unknown, jobEnv: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  if (!Array.isArray(steps)) return env;
  for (const step of steps.slice(0, maxSteps).map(asMap)) {
    const run = step?.run;
    if (typeof run === "string" && run.split("\n").some(runsTests)) Object.assign(env, literalEnv(step?.env, jobEnv));
  }
  return env;
}

/** A line of a step's `run:` that runs the tests (and does not install them: `pip install tox`). */
function runsTests(line: string): boolean {
  return /(?:^|[\s;&|(])(?:tox|nox|pytest|py\.test|coverage|make|django-admin|(?:\S*\/)?(?:manage|runtests)\.py)(?=$|[\s;&|)])/.test(line) && !/\binstall\b/.test(line);
}

/** The database an image runs, from its name without registry, owner or tag: `ghcr.io/x/postgis:15` → postgis. */
export function serviceOfImage(image: string): ServiceName | undefined {
  const name = image.trim().split("@")[0]?.split("/").at(-1)?.split(":")[0] ?? "";
  const database = parseDatabaseName(name);
  return database === "sqlite" ? undefined : database;
}

function readYaml(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const doc = parseDocument(text, { uniqueKeys: false });
    if (doc.errors.length > 0) return undefined;
    return asMap(doc.toJS({ maxAliasCount: maxAliases }));
  } catch {
    return undefined;
  }
}

function asMap(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A workflow `env:` mapping's literal values; `${{ env.NAME }}` from `outer`; any other expression dropped. */
function literalEnv(value: unknown, outer: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, raw] of Object.entries(asMap(value) ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /^(GITHUB|RUNNER)_/.test(name)) continue;
    if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") continue;
    const text = String(raw);
    const reference = /^\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(text);
    const resolved = reference ? outer[reference[1] ?? ""] : text.includes("${{") ? undefined : text;
    if (resolved !== undefined && resolved.length <= maxValueLength) env[name] = resolved;
  }
  return env;
}

/** The workflow files servicesFromWorkflows reads (paths from the repository root), in the order it reads them. */
export function listWorkflowFiles(readFile: ReadRepoFile): string[] {
  const listing = readFile(WORKFLOWS_DIR);
  if (listing === undefined) return [];
  return listing.split("\n").filter((name) => /^[\w.-]+\.ya?ml$/.test(name)).sort().slice(0, maxWorkflows).map((name) => `${WORKFLOWS_DIR}${name}`);
}

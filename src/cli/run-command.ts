import { randomUUID } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { cellName, type Cell } from "../domain/cell.js";
import type { DjangoSupportTable } from "../builds/versions/django-support.js";
import { djangoSupportFromSettings } from "../server/django-support-from-settings.js";
import type { DjangoSupportSource } from "../builds/versions/create-django-support-source.js";
import { planMatrix, type MatrixPlan } from "../builds/plan-matrix.js";
import { RepoConfigError } from "../builds/config/repo-config-error.js";
import type { Settings } from "../settings/load-settings.js";
import type { Logger } from "../domain/logger.js";
import { createLocalRunner } from "../../runner/src/create-local-runner.js";
import { reapContainers } from "../../runner/src/docker/reap-containers.js";
import { listInstallationPythons } from "../../runner/src/images/list-obtainable-pythons.js";
import { listPlanningPythons } from "../server/list-planning-pythons.js";
import type { FinishedEvent, TestResult } from "../domain/events.js";
import { resolveRunSource } from "./resolve-run-source.js";
import { formatCellLine, renderRunTable, type CellReport } from "./render-run-table.js";
import { checkNarrowedCount, selectCells } from "./select-cells.js";
import { MAX_MATRIX_COMBINATIONS } from "../builds/matrix/expand-matrix.js";
import { planJobSpec } from "../builds/plan-job-spec.js";
import { planFromRepoFiles, planningFileLimit } from "../builds/plan-from-repo-files.js";
import type { JobSpec } from "../domain/job-spec.js";
import { renderJunitReport } from "../reports/render-junit-report.js";
import { createReportCell, createRunReport } from "../reports/run-report.js";

export const RUN_USAGE = `ponyci run [PATH | GIT-URL] [options]

Runs the Python × Django matrix of a Django project on this machine, each cell
in its own container, and prints a table of results. Exit code 1 when a cell fails.

  PATH | GIT-URL       a directory (default: .) or a git URL
  --python 3.11,3.13   only these Python versions
  --django 4.2,5.2     only these Django versions
                       (the repository's matrix is narrowed by these flags; without
                       a repository matrix they define it; else the default matrix)
  --rev REV            build this commit/branch instead of the working tree
  --jobs N             cells at once (default PONYCI_CONCURRENCY: the core count)
  --list               print the cells it would run and every note on the cells
                       it leaves out, and run nothing (as \`tox -l\`)
  --list --json        the same as JSON on stdout (--json=FILE: into FILE)
  --json FILE          also write every cell's verdict, counts and tests as JSON
  --junit FILE         also write JUnit XML (one testsuite per cell) for Jenkins,
                       GitLab and GitHub test reporters
  --verbose            print every line of test output`;

interface Output {
  write(text: string): void;
}

export interface RunCommandDeps {
  settings: Settings;
  log: Logger;
  out: Output;
  /** Django's support table; default: the package index, cached in the data directory (djangoSupportFromSettings). */
  djangoSupport?: DjangoSupportSource;
  /** The Python versions this installation has or can add on first need; default: listInstallationPythons. */
  availablePython?: () => Promise<readonly string[]>;
}

/** `ponyci run`: the embedded main job. Returns the process exit code. */
export async function runCommand(argv: string[], deps: RunCommandDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args: listJsonArgs(argv),
    allowPositionals: true,
    options: {
      python: { type: "string", multiple: true },
      django: { type: "string", multiple: true },
      rev: { type: "string" },
      jobs: { type: "string" },
      verbose: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      json: { type: "string" },
      junit: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const out = deps.out;
  if (values.help) {
    out.write(`${RUN_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new Error(`ponyci run takes one path or URL, not ${positionals.length}\n\n${RUN_USAGE}`);
  const jobs = values.jobs === undefined ? deps.settings.concurrency : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a whole number ≥ 1, not ${values.jobs}`);

  const startedAt = Date.now();
  const runner = createLocalRunner(deps.settings, deps.log);
  const listJson = values.list && values.json !== undefined;
  // `--list --json` prints JSON alone on stdout: the human lines go nowhere.
  const say: Output = listJson && values.json === "-" ? { write: () => undefined } : out;
  if (!values.list) {
    // Containers an earlier run left behind when it was killed.
    await reapContainers(runner.docker).catch((error) => deps.log.warn({ err: error }, "could not look for leftover containers"));
  }
  const target = positionals[0] ?? ".";
  const source = await resolveRunSource(target, { snapshotDir: path.join(deps.settings.dataDir, "snapshots"), rev: values.rev });
  say.write(`Pony CI: ${source.label} at ${source.sha.slice(0, 12)}\n`);
  const djangoSupport = await (deps.djangoSupport ?? djangoSupportFromSettings(deps.settings, deps.log)).get();
  // The Pythons this host has images for (an operator's image template has them all).
  const pythons = deps.availablePython
    ? { available: [...(await deps.availablePython())], installed: undefined }
    : await listPlanningPythons({
        local: () => listInstallationPythons({ docker: runner.docker, imagesCache: path.join(deps.settings.dataDir, "images"), pythonImages: deps.settings.pythonImages }),
        anyVersion: deps.settings.baseImage !== "auto",
      });
  const flags = { python: splitList(values.python), django: splitList(values.django) };
  // Flags narrow before the cap counts (as `tox -e` picks envs of any envlist): a 33-cell tox.ini
  // still runs `--python 3.12`; the cap applies to the cells the flags leave (checkNarrowedCount).
  const narrowed = flags.python !== undefined || flags.django !== undefined;
  const planOptions = { maxCells: narrowed ? MAX_MATRIX_COMBINATIONS : deps.settings.maxCells, djangoSupport, availablePython: pythons.available.length > 0 ? pythons.available : undefined, installedPython: pythons.installed };

  // 1. Plan: the repository's config and matrix, narrowed by the flags.
  // The same reads as the server's planning (requirement files and their `-r` includes too).
  let plan: MatrixPlan;
  let specs: JobSpec[];
  let selection: ReturnType<typeof selectCells>;
  try {
    ({ plan, selection, specs } = await planFromRepoFiles((paths) => runner.checkout.readFiles({ url: source.url, sha: source.sha }, paths, { maxBytes: planningFileLimit }), (read) => {
      const plan = planMatrix(read, planOptions);
      const selection = selectCells(plan, flags, planOptions);
      if (narrowed) checkNarrowedCount(selection.cells.length, deps.settings.maxCells);
      return { plan, selection, specs: selection.cells.map((cell) => planJobSpec(plan, cell)) };
    }));
  } catch (error) {
    if (error instanceof RepoConfigError) {
      if (listJson) await writeListJson(values.json ?? "-", { repository: source.label, sha: source.sha, error: error.message, djangoSupport }, out);
      else out.write(`✗ ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const notes = [...plan.notes, ...selection.notes];
  if (values.list) {
    if (listJson) {
      await writeListJson(values.json ?? "-", { repository: source.label, sha: source.sha, source: selection.source, cells: selection.cells.map((cell) => listedCell(cell, djangoSupport)), notes, djangoSupport }, out);
    } else {
      out.write(`Matrix (${selection.source}), ${selection.cells.length} cell${selection.cells.length === 1 ? "" : "s"}:\n`);
      for (const cell of selection.cells) out.write(`${listedCell(cell, djangoSupport).name}\n`);
      for (const note of notes) out.write(`  note: ${note}\n`);
    }
    return selection.cells.length === 0 ? 2 : 0;
  }
  for (const note of notes) out.write(`  note: ${note}\n`);
  if (selection.cells.length === 0) {
    out.write("✗ No cell to run: the flags leave nothing of the matrix\n");
    return 2;
  }
  out.write(`Matrix (${selection.source}): ${selection.cells.map(cellName).join(", ")}\n`);

  // 2. Run the cells, `jobs` at a time, with live progress.
  const reports: CellReport[] = new Array(selection.cells.length);
  const runId = randomUUID().slice(0, 8);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      const spec = specs[index];
      if (!spec) return;
      reports[index] = await runOne(spec, `${runId}-${index}`);
    }
  };

  const abort = new AbortController();
  const onSignal = () => {
    out.write("\nCancelling: stopping running cells…\n");
    abort.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, selection.cells.length) }, worker));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  // New environments are byte-compiled in the background: finish that here, or the next run compiles in memory again.
  if (!abort.signal.aborted) await runner.environments?.idle().catch((error: unknown) => deps.log.warn({ err: error }, "byte-compiling new environments failed"));
  out.write(`\n${renderRunTable(reports)}\n`);
  if (values.json !== undefined || values.junit !== undefined) {
    const report = createRunReport({ repository: source.label, sha: source.sha, startedAt, cells: reports.map((r) => createReportCell(r.cell, r.finished, r.tests ?? r.failures)) });
    if (values.json !== undefined) await writeReport(values.json, `${JSON.stringify(report, null, 2)}\n`, out);
    if (values.junit !== undefined) await writeReport(values.junit, renderJunitReport(report), out);
  }
  const failed = reports.filter((r) => r.finished.conclusion !== "success" && r.finished.conclusion !== "neutral").length;
  out.write(`\n${failed === 0 ? "All" : `${reports.length - failed} of`} ${reports.length} cells passed\n`);
  return failed === 0 ? 0 : 1;

  async function runOne(spec: JobSpec, jobId: string): Promise<CellReport> {
    const { cell } = spec;
    const name = cellName(cell);
    const failures: TestResult[] = [];
    const tests: TestResult[] = [];
    let finished: FinishedEvent | undefined;
    let passed = 0;
    let lastBeat = Date.now();
    out.write(`… ${name}: preparing\n`);
    const events = runner.cells.runCell(
      {
        jobId,
        source: { url: source.url, sha: source.sha },
        ...spec,
      },
      { signal: abort.signal },
    );
    for await (const event of events) {
      if (event.type === "started") {
        lastBeat = Date.now();
        out.write(`▶ ${name}: running tests\n`);
      } else if (event.type === "log") {
        if (values.verbose) out.write(`  ${name} | ${event.line}\n`);
        else if (event.stream === "system") out.write(`  ${name}: ${event.line}\n`);
      } else if (event.type === "test") {
        tests.push(event.test);
        if (event.test.outcome === "passed") passed++;
        if (event.test.outcome === "failed" || event.test.outcome === "error") {
          failures.push(event.test);
          const where = event.test.location ? ` (${event.test.location.path}:${event.test.location.line})` : "";
          out.write(`  ✗ ${name}: ${event.test.id}${where}\n`);
        }
        if (Date.now() - lastBeat > 5000) {
          lastBeat = Date.now();
          out.write(`  … ${name}: ${passed} passed, ${failures.length} failed so far\n`);
        }
      } else {
        finished = event;
      }
    }
    if (!finished) throw new Error(`cell ${name} ended without a result`);
    const report = { cell, finished, failures, tests };
    out.write(`${formatCellLine(report)}\n`);
    for (const note of finished.notes ?? []) out.write(`  note: ${name}: ${note}\n`);
    return report;
  }
}

/** With `--list`, a bare `--json` prints to stdout (as `tox -l` prints): the next word stays the PATH; `--json=FILE` writes a file. */
function listJsonArgs(argv: string[]): string[] {
  if (!argv.includes("--list")) return argv;
  return argv.map((arg) => (arg === "--json" ? "--json=-" : arg));
}

/** A cell as `--list` shows it: its name and the Django release the index's newest for its series is. */
function listedCell(cell: Cell, table: DjangoSupportTable): { name: string; python: string; django: string; database?: string; djangoRelease?: string } {
  const row = Object.hasOwn(table.series, cell.django) ? table.series[cell.django] : undefined;
  return { name: cellName(cell), python: cell.python, django: cell.django, ...(cell.database ? { database: cell.database } : {}), ...(row ? { djangoRelease: row.latest } : {}) };
}

async function writeListJson(file: string, body: Record<string, unknown> & { djangoSupport: DjangoSupportTable }, out: Output): Promise<void> {
  const { djangoSupport, ...rest } = body;
  const text = `${JSON.stringify({ ...rest, djangoSupport: { source: djangoSupport.source, fetchedAt: djangoSupport.fetchedAt } }, null, 2)}\n`;
  if (file === "-") out.write(text);
  else await writeReport(file, text, out);
}

/** Write a report file whole (a reader never sees half of it). */
async function writeReport(file: string, text: string, out: Output): Promise<void> {
  const target = path.resolve(file);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, target);
  out.write(`Wrote ${file}\n`);
}

function splitList(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const list = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  return list.length > 0 ? list : undefined;
}

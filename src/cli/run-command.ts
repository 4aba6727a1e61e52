import { randomUUID } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { join as shlexJoin } from "shlex";
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
import { parseCommandLine, UsageError } from "./parse-command-line.js";
import { runCli, splitRunArgv, type RunOptions } from "./run-cli.js";
import { createRunTerminal, type TerminalInfo } from "./create-run-terminal.js";

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
  /** What `out` is: colour and the live line only on a terminal. Default: not a terminal, no colour. */
  terminal?: TerminalInfo;
}

/** `ponyci run`: the embedded main job. Returns the process exit code. */
export async function runCommand(argv: string[], deps: RunCommandDeps): Promise<number> {
  const { own, posargs } = splitRunArgv(argv);
  const parsed = parseCommandLine<RunOptions>(runCli(), own, deps.out);
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const { options: values, args: positionals } = parsed;
  const out = deps.out;
  const jobs = values.jobs === undefined ? deps.settings.concurrency : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a whole number ≥ 1, not ${values.jobs}`);
  const term = createRunTerminal({ out, terminal: deps.terminal ?? { isTTY: false, env: {} }, quiet: values.quiet });

  const startedAt = Date.now();
  const runner = createLocalRunner(deps.settings, deps.log);
  const listJson = values.list && values.json !== undefined;
  // `--list --json` prints JSON alone on stdout: the human lines go nowhere.
  const say = (text: string) => {
    if (!(listJson && values.json === "-")) term.line(text);
  };
  if (!values.list) {
    // Containers an earlier run left behind when it was killed.
    await reapContainers(runner.docker).catch((error) => deps.log.warn({ err: error }, "could not look for leftover containers"));
  }
  const target = positionals[0] ?? ".";
  const source = await resolveRunSource(target, { snapshotDir: path.join(deps.settings.dataDir, "snapshots"), rev: values.rev });
  say(`Pony CI: ${source.label} at ${source.sha.slice(0, 12)}`);
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
  const planOptions = { maxCells: narrowed ? MAX_MATRIX_COMBINATIONS : deps.settings.maxCells, djangoSupport, availablePython: pythons.available.length > 0 ? pythons.available : undefined, installedPython: pythons.installed, posargs };

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
      return { plan, selection, specs: selection.cells.map((cell) => planJobSpec(plan, cell, { posargs })) };
    }));
  } catch (error) {
    if (error instanceof RepoConfigError) {
      if (listJson) await writeListJson(values.json ?? "-", { repository: source.label, sha: source.sha, error: error.message, djangoSupport }, out);
      else term.result(`✗ ${error.message}`);
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
  for (const note of notes) term.line(`  note: ${note}`);
  if (selection.cells.length === 0) {
    term.result("✗ No cell to run: the flags leave nothing of the matrix");
    return 2;
  }
  term.line(`Matrix (${selection.source}): ${selection.cells.map(cellName).join(", ")}`);
  if (posargs) term.line(`Test command arguments ({posargs}): ${shlexJoin(posargs)}`);

  // 2. Run the cells, `jobs` at a time, with live progress.
  const reports: CellReport[] = new Array(selection.cells.length);
  // The live line: cells finished, and each running cell's phase and counts so far.
  const running = new Map<string, string>();
  let ended = 0;
  const showProgress = () => term.status(`[${ended}/${selection.cells.length}] ${[...running].map(([name, phase]) => `${name}: ${phase}`).join(" · ")}`);
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
    term.result("\nCancelling: stopping running cells…");
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
  term.result(`\n${renderRunTable(reports)}`);
  if (values.json !== undefined || values.junit !== undefined) {
    const report = createRunReport({ repository: source.label, sha: source.sha, startedAt, cells: reports.map((r) => createReportCell(r.cell, r.finished, r.tests ?? r.failures)) });
    const said = { write: (text: string) => term.line(text.trimEnd()) };
    if (values.json !== undefined) await writeReport(values.json, `${JSON.stringify(report, null, 2)}\n`, said);
    if (values.junit !== undefined) await writeReport(values.junit, renderJunitReport(report), said);
  }
  const failed = reports.filter((r) => r.finished.conclusion !== "success" && r.finished.conclusion !== "neutral").length;
  term.result(`\n${failed === 0 ? "All" : `${reports.length - failed} of`} ${reports.length} cells passed`);
  return failed === 0 ? 0 : 1;

  async function runOne(spec: JobSpec, jobId: string): Promise<CellReport> {
    const { cell } = spec;
    const name = cellName(cell);
    const failures: TestResult[] = [];
    const tests: TestResult[] = [];
    let finished: FinishedEvent | undefined;
    let passed = 0;
    let lastBeat = Date.now();
    term.line(`… ${name}: preparing`);
    running.set(name, "preparing");
    showProgress();
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
        term.line(`▶ ${name}: running tests`);
        running.set(name, "running tests");
        showProgress();
      } else if (event.type === "log") {
        if (values.verbose) term.line(`  ${name} | ${event.line}`);
        else if (event.stream === "system") term.line(`  ${name}: ${event.line}`);
      } else if (event.type === "test") {
        tests.push(event.test);
        if (event.test.outcome === "passed") passed++;
        if (event.test.outcome === "failed" || event.test.outcome === "error") {
          failures.push(event.test);
          const where = event.test.location ? ` (${event.test.location.path}:${event.test.location.line})` : "";
          term.line(`  ✗ ${name}: ${event.test.id}${where}`);
        }
        running.set(name, `${passed} passed, ${failures.length} failed`);
        showProgress();
        // Without a live line (a log, a pipe), a line every 5 s says the cell is alive.
        if (!term.live && Date.now() - lastBeat > 5000) {
          lastBeat = Date.now();
          term.line(`  … ${name}: ${passed} passed, ${failures.length} failed so far`);
        }
      } else {
        finished = event;
      }
    }
    if (!finished) throw new Error(`cell ${name} ended without a result`);
    const report = { cell, finished, failures, tests };
    running.delete(name);
    ended++;
    term.line(formatCellLine(report));
    for (const note of finished.notes ?? []) term.line(`  note: ${name}: ${note}`);
    showProgress();
    return report;
  }
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

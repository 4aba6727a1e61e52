import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { cellName, type Cell } from "../domain/cell.js";
import type { DjangoSupportTable } from "../builds/versions/django-support.js";
import { djangoSupportFromSettings } from "../server/django-support-from-settings.js";
import type { DjangoSupportSource } from "../builds/versions/create-django-support-source.js";
import { RepoConfigError } from "../builds/config/repo-config-error.js";
import { planCells, type PlannedCells } from "../builds/plan-cells.js";
import { planFromRepoFiles, planningFileLimit } from "../builds/plan-from-repo-files.js";
import type { Settings } from "../settings/load-settings.js";
import type { Logger } from "../domain/logger.js";
import { createLocalRunner } from "../../runner/src/create-local-runner.js";
import { reapContainers } from "../../runner/src/docker/reap-containers.js";
import { listInstallationPythons } from "../../runner/src/images/list-obtainable-pythons.js";
import { listPlanningPythons } from "../server/list-planning-pythons.js";
import { resolveRunSource } from "./resolve-run-source.js";
import { cliBuildRequest } from "./cli-build-request.js";
import { renderRunTable } from "./render-run-table.js";
import { renderJunitReport } from "../reports/render-junit-report.js";
import { createReportCell, createRunReport } from "../reports/run-report.js";
import { parseCommandLine, UsageError } from "./parse-command-line.js";
import { runCli, splitRunArgv, type RunOptions } from "./run-cli.js";
import { createRunTerminal, type TerminalInfo } from "./create-run-terminal.js";
import { createTerminalListener } from "./create-terminal-listener.js";
import { createReportListener } from "./create-report-listener.js";
import { runOnEngine, type EngineRun, type RunOnEngineOptions } from "./run-on-engine.js";

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
  /** Tests: the queue's lease, attempts and backoff (default: the server's). */
  queueOptions?: RunOnEngineOptions["queueOptions"];
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
  const request = cliBuildRequest(source, { python: splitList(values.python), django: splitList(values.django) }, posargs);
  const planning = { maxCells: deps.settings.maxCells, djangoSupport, availablePython: pythons.available.length > 0 ? pythons.available : undefined, installedPython: pythons.installed };

  // --list: planning alone (the same planCells the build service runs), no store, no queue.
  if (values.list) {
    let planned: PlannedCells;
    try {
      planned = await planFromRepoFiles((paths) => runner.checkout.readFiles({ url: source.url, sha: source.sha }, paths, { maxBytes: planningFileLimit }), (read, files) => planCells(read, files, request, planning));
    } catch (error) {
      if (!(error instanceof RepoConfigError)) throw error;
      if (listJson) await writeListJson(values.json ?? "-", { repository: source.label, sha: source.sha, error: error.message, djangoSupport }, out);
      else term.result(`✗ ${error.message}`);
      return 2;
    }
    const { cells, notes } = planned;
    if (listJson) {
      await writeListJson(values.json ?? "-", { repository: source.label, sha: source.sha, source: planned.source, cells: cells.map((cell) => listedCell(cell, djangoSupport)), notes, djangoSupport }, out);
    } else {
      out.write(`Matrix (${planned.source}), ${cells.length} cell${cells.length === 1 ? "" : "s"}:\n`);
      for (const cell of cells) out.write(`${listedCell(cell, djangoSupport).name}\n`);
      for (const note of notes) out.write(`  note: ${note}\n`);
    }
    return cells.length === 0 ? 2 : 0;
  }

  // The server's engine: build service → embedded queue → job processor → these listeners.
  const reporter = createReportListener();
  const abort = new AbortController();
  const onSignal = () => {
    term.result("\nCancelling: stopping running cells…");
    abort.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let run: EngineRun;
  try {
    run = await runOnEngine(request, {
      dataDir: deps.settings.dataDir,
      logLimitBytes: deps.settings.cell.logLimitBytes,
      log: deps.log,
      runner,
      concurrency: jobs,
      listeners: [createTerminalListener({ term, verbose: values.verbose }), reporter],
      planning,
      signal: abort.signal,
      queueOptions: deps.queueOptions,
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (run.build.planState === "config-error") return 2;
  if (run.jobs.length === 0) {
    term.result("✗ No cell to run: the matrix is empty");
    return 2;
  }

  // New environments are byte-compiled in the background: finish that here, or the next run compiles in memory again.
  if (!abort.signal.aborted) await runner.environments?.idle().catch((error: unknown) => deps.log.warn({ err: error }, "byte-compiling new environments failed"));
  const reports = reporter.reports();
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

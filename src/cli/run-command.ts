import { randomUUID } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { join as shlexJoin } from "shlex";
import { cellName, type Cell } from "../domain/cell.js";
import type { DjangoSupportTable } from "../builds/versions/django-support.js";
import { djangoSupportFromSettings } from "../builds/versions/django-support-from-settings.js";
import type { DjangoSupportSource } from "../builds/versions/create-django-support-source.js";
import { planMatrix, type MatrixPlan } from "../builds/plan-matrix.js";
import { RepoConfigError } from "../builds/config/repo-config-error.js";
import type { Settings } from "../settings/load-settings.js";
import type { Logger } from "../domain/logger.js";
import { createLocalRunner } from "../../runner/src/create-local-runner.js";
import { reapContainers } from "../../runner/src/docker/reap-containers.js";
import { listInstallationPythons } from "../../runner/src/images/list-obtainable-pythons.js";
import type { FinishedEvent, TestResult } from "../domain/events.js";
import { resolveRunSource } from "./resolve-run-source.js";
import { formatCellLine, renderRunTable, type CellReport } from "./render-run-table.js";
import { selectCells } from "./select-cells.js";
import { planJobSpec } from "../builds/plan-job-spec.js";
import { MAX_PLANNING_FILE_BYTES, planFromRepoFiles } from "../builds/plan-from-repo-files.js";
import type { JobSpec } from "../domain/job-spec.js";
import { renderJunitReport } from "../reports/render-junit-report.js";
import { createReportCell, createRunReport } from "../reports/run-report.js";
import { parseCommandLine, UsageError } from "./parse-command-line.js";
import { createRunTerminal, type TerminalInfo } from "./create-run-terminal.js";

/** `ponyci run`'s command line: options, help, and what ARGS after `--` do. Starts nothing. */
export function runCli(): Command {
  return new Command("run")
    .summary("run a project's Python × Django matrix on this machine")
    .description("Runs the Python × Django matrix of a Django project on this machine, each cell\nin its own container, and prints a table of results. Exit code 1 when a cell fails.")
    .usage("[PATH | GIT-URL] [options] [-- ARGS...]")
    .argument("[path]", "a directory (default: .) or a git URL")
    .option("-p, --python <versions>", "only these Python versions, e.g. 3.11,3.13", collect)
    .option("-d, --django <versions>", "only these Django versions, e.g. 4.2,5.2 (these flags narrow the repository's matrix; without one they define it; else the default matrix)", collect)
    .option("-r, --rev <rev>", "build this commit/branch instead of the working tree")
    .option("-j, --jobs <n>", "cells at once (default PONYCI_CONCURRENCY: the core count)")
    .option("-l, --list", "print the cells it would run and every note on the cells it leaves out, and run nothing (as `tox -l`)")
    .option("--json <file>", "also write every cell's verdict, counts and tests as JSON; with --list: the list as JSON on stdout (--json=FILE: into FILE)")
    .option("--junit <file>", "also write JUnit XML (one testsuite per cell) for Jenkins, GitLab and GitHub test reporters")
    .option("-v, --verbose", "print every line of test output")
    .option("-q, --quiet", "print only the final table and verdict (and errors)")
    .addHelpText(
      "after",
      `
ARGS after -- reach the test command as tox's {posargs}: where the tox env's
commands say {posargs} (or {posargs:default}, whose default they replace);
appended to the config's \`test:\` command, or to the detected Django/pytest
command. They are quoted, never read by a shell on this host, e.g.
  ponyci run -p 3.12 -- tests.test_models -v 2
On a terminal, lines are coloured and a live line shows the cells running
(NO_COLOR=1 turns colour off, https://no-color.org).`,
    );
}

/** The command line's words split at the first `--`: ponyci's own, and the test command's (undefined without `--`, as tox). */
export function splitRunArgv(argv: readonly string[]): { own: string[]; posargs?: string[] } {
  const dash = argv.indexOf("--");
  const own = listJsonArgs(dash === -1 ? [...argv] : argv.slice(0, dash));
  return dash === -1 ? { own } : { own, posargs: argv.slice(dash + 1) };
}

interface RunOptions {
  python?: string[];
  django?: string[];
  rev?: string;
  jobs?: string;
  list?: boolean;
  json?: string;
  junit?: string;
  verbose?: boolean;
  quiet?: boolean;
}

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
  const pythons = deps.settings.baseImage === "auto" && !deps.availablePython
    ? await listInstallationPythons({ docker: runner.docker, imagesCache: path.join(deps.settings.dataDir, "images"), pythonImages: deps.settings.pythonImages })
    : undefined;
  const listed = deps.availablePython ? await deps.availablePython() : (pythons?.versions ?? []);
  const installedPython = pythons?.installed.filter((i) => i.implementation === "cpython").map((i) => i.python);
  const planOptions = { maxCells: deps.settings.maxCells, djangoSupport, availablePython: listed.length > 0 ? listed : undefined, installedPython, posargs };

  // 1. Plan: the repository's config and matrix, narrowed by the flags.
  // The same reads as the server's planning (requirement files and their `-r` includes too).
  let plan: MatrixPlan;
  let specs: JobSpec[];
  let selection: ReturnType<typeof selectCells>;
  try {
    ({ plan, selection, specs } = await planFromRepoFiles((paths) => runner.checkout.readFiles({ url: source.url, sha: source.sha }, paths, { maxBytes: MAX_PLANNING_FILE_BYTES }), (read) => {
      const plan = planMatrix(read, planOptions);
      const selection = selectCells(plan, { python: splitList(values.python), django: splitList(values.django) }, planOptions);
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

/** A repeatable option's values, in order. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function splitList(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const list = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  return list.length > 0 ? list : undefined;
}

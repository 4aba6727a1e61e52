import { join as shlexJoin } from "shlex";
import { cellName } from "../domain/cell.js";
import type { BuildListener } from "../builds/build-listener.js";
import { emptyCounts, type FinishedEvent } from "../domain/events.js";
import { formatCellLine } from "./render-run-table.js";
import type { RunTerminal } from "./create-run-terminal.js";

/** What Pony CI's own log lines start with in a job's log (the job processor writes them so). */
const SYSTEM_PREFIX = "[ponyci] ";
/** Without a live line (a log, a pipe), a line this often says a running cell is alive. */
const HEARTBEAT_MS = 5_000;

/**
 * `ponyci run`'s terminal, as a build listener: it hears what the server's
 * reporters hear and prints the run's progress: the matrix and its notes,
 * each cell preparing, running, every failing test (✗ with its file:line),
 * confirmations and retries, each cell's line when it ends; the live line
 * (cells ended, each running cell's phase and counts). The final table is
 * not its business (the report listener's cells are).
 */
export function createTerminalListener(options: { term: RunTerminal; verbose?: boolean; now?: () => number }): BuildListener {
  const { term } = options;
  const now = options.now ?? Date.now;
  let total = 0;
  let ended = 0;
  // Per running job: its name, phase, counts so far and the last time a line said it was alive.
  const running = new Map<string, { name: string; phase: string; passed: number; failed: number; lastBeat: number }>();
  const showProgress = () => term.status(`[${ended}/${total}] ${[...running.values()].map((cell) => `${cell.name}: ${cell.phase}`).join(" · ")}`);
  const stateOf = (job: { id: string; cell: Parameters<typeof cellName>[0] }) => {
    let state = running.get(job.id);
    if (!state) {
      state = { name: cellName(job.cell), phase: "preparing", passed: 0, failed: 0, lastBeat: now() };
      running.set(job.id, state);
    }
    return state;
  };
  const endCell = (jobId: string, line: string, notes: readonly string[] = []) => {
    const name = running.get(jobId)?.name;
    running.delete(jobId);
    ended++;
    term.line(line);
    for (const note of notes) term.line(`  note: ${name}: ${note}`);
    showProgress();
  };
  return {
    planned(build, jobs, notes) {
      total = jobs.length;
      for (const note of notes) term.line(`  note: ${note}`);
      if (jobs.length === 0) return;
      term.line(`Matrix (${String(build.plan.source ?? "default")}): ${jobs.map((job) => cellName(job.cell)).join(", ")}`);
      const posargs = build.trigger.request?.posargs;
      if (posargs) term.line(`Test command arguments ({posargs}): ${shlexJoin(posargs)}`);
    },
    configError(_build, error) {
      term.result(`✗ ${error.message}`);
    },
    preparing(_build, job) {
      // Each attempt starts afresh (a retry's counts are its own).
      running.delete(job.id);
      const state = stateOf(job);
      term.line(`… ${state.name}: preparing`);
      showProgress();
    },
    started(_build, job) {
      const state = stateOf(job);
      state.phase = "running tests";
      state.lastBeat = now();
      term.line(`▶ ${state.name}: running tests`);
      showProgress();
    },
    logLine(_build, job, line, stream) {
      const system = stream === "system" && line.startsWith(SYSTEM_PREFIX);
      const text = system ? line.slice(SYSTEM_PREFIX.length) : line;
      if (options.verbose) term.line(`  ${stateOf(job).name} | ${text}`);
      else if (system) term.line(`  ${stateOf(job).name}: ${text}`);
    },
    testResult(_build, job, test) {
      const state = stateOf(job);
      if (test.outcome === "passed") state.passed++;
      if (test.outcome === "failed" || test.outcome === "error") {
        state.failed++;
        const where = test.location ? ` (${test.location.path}:${test.location.line})` : "";
        term.line(`  ✗ ${state.name}: ${test.id}${where}`);
      }
      state.phase = `${state.passed} passed, ${state.failed} failed`;
      showProgress();
      if (!term.live && now() - state.lastBeat > HEARTBEAT_MS) {
        state.lastBeat = now();
        term.line(`  … ${state.name}: ${state.phase} so far`);
      }
    },
    confirming(_build, job, testIds) {
      term.line(`  ? ${stateOf(job).name}: ${testIds.length} failing test${testIds.length === 1 ? "" : "s"} never seen failing before: running ${testIds.length === 1 ? "it" : "them"} once more to confirm`);
    },
    retrying(_build, job, reason, attempt) {
      term.line(`  ↻ ${stateOf(job).name}: ${reason.split("\n")[0]}: running it again (attempt ${attempt})`);
    },
    finished({ job, finished }) {
      endCell(job.id, formatCellLine({ cell: job.cell, finished, failures: [] }), finished.notes ?? []);
    },
    cancelled(_build, job, reason) {
      endCell(job.id, `${formatCellLine({ cell: job.cell, finished: cancelledVerdict(), failures: [] })} — ${reason}`);
    },
  };
}

/** The verdict of a cell cancelled before it ran. */
export function cancelledVerdict(): FinishedEvent {
  return { type: "finished", conclusion: "cancelled", counts: emptyCounts(), durationMs: 0, testDurationMs: 0 };
}

import { Command } from "commander";
import { cellName } from "../domain/cell.js";
import { openExistingStore } from "../store/open-existing-store.js";
import { parseCommandLine, UsageError } from "./parse-command-line.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { Settings } from "../settings/load-settings.js";
import type { TestResult } from "../domain/events.js";
import { statusOf, upstreamOf } from "./builds-command.js";
import { formatDuration } from "../domain/format-duration.js";
import { emptyCounts } from "../domain/events.js";
import { jobSpecOf } from "../builds/job-plan.js";
import { createReportCell, createRunReport, type ReportCell } from "../reports/run-report.js";
import { groupAttempts } from "../history/job-test-plan.js";

/** `ponyci show`'s command line. Starts nothing. */
export function showCli(): Command {
  return new Command("show")
    .summary("show a build: cells, results, failure locations")
    .description("Shows one build: its commit, the upstream app commit it was tested against\n(downstream builds), and per cell the conclusion, test counts, durations and\nevery failure with its file:line and message. Reads PONYCI_DATA_DIR's store.")
    .argument("<build>", "the build's number, e.g. 12 or #12")
    .option("--json", "the same report `ponyci run --json` writes (every test of every cell), on standard output");
}

interface Output {
  write(text: string): void;
}

/** A cell of a build as `show` prints it. */
export interface ShownJob {
  job: JobRecord;
  /** Failed and erroring tests. */
  failures: TestResult[];
}

const MARK: Record<string, string> = { success: "✓", failure: "✗", cancelled: "⊘", timed_out: "⌛", error: "!", neutral: "~" };

/** `ponyci show <id>`: reads the store of PONYCI_DATA_DIR (never creates one). Returns the exit code (1: no such build). */
export async function showCommand(argv: string[], deps: { settings: Pick<Settings, "dataDir">; out: Output }): Promise<number> {
  const parsed = parseCommandLine<{ json?: boolean }>(showCli(), argv, deps.out);
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const values = parsed.options;
  const raw = parsed.args[0]?.replace(/^#/, "");
  if (raw === undefined || !/^\d+$/.test(raw)) throw new UsageError("give one build number, e.g. ponyci show 12 (see ponyci show --help)");
  const store = openExistingStore({ dataDir: deps.settings.dataDir });
  try {
    const build = store.getBuild(Number(raw));
    if (!build) {
      deps.out.write(`No build #${raw} in ${deps.settings.dataDir}: list builds with \`ponyci builds\`\n`);
      return 1;
    }
    if (values.json) {
      const cells = store.listJobs(build.id).map((job) => reportCellOf(job, store.listTestResults(job.id)));
      deps.out.write(`${JSON.stringify(createRunReport({ repository: build.repo, sha: build.sha, startedAt: build.createdAt, cells }), null, 2)}\n`);
      return 0;
    }
    const jobs = store.listJobs(build.id).map((job) => ({ job, failures: store.listTestResults(job.id, { outcomes: ["failed", "error"] }) }));
    deps.out.write(`${renderBuildDetails(build, jobs)}\n`);
    return 0;
  } finally {
    store.close();
  }
}

/** The text of `ponyci show`. Pure. */
export function renderBuildDetails(build: BuildRecord, jobs: readonly ShownJob[]): string {
  const lines = [
    `Build #${build.id}  ${build.repo}  ${build.prNumber !== undefined ? `PR #${build.prNumber}` : (build.branch ?? "-")}  ${build.sha}`,
    `Status: ${statusOf(build)}  (${build.source}, ${build.event}, ${new Date(build.createdAt).toISOString()})`,
  ];
  const upstream = upstreamOf(build);
  if (upstream) lines.push(`Tested against: ${upstream.repo} at ${upstream.sha} (its build #${upstream.buildId})`);
  const configError = (build.plan as { error?: { message?: string } }).error;
  if (build.planState === "config-error" && configError?.message) lines.push(`Config error: ${configError.message}`);
  for (const note of ((build.plan as { notes?: unknown }).notes as string[] | undefined) ?? []) lines.push(`note: ${note}`);
  if (jobs.length > 0) lines.push("");

  // A confirmation re-run is an attempt of its cell (as the dashboard shows it), folded under it.
  const failuresOf = new Map(jobs.map((shown) => [shown.job.id, shown.failures]));
  for (const { job, attempts } of groupAttempts(jobs.map((shown) => shown.job))) {
    lines.push(`${MARK[job.conclusion ?? job.state] ?? "…"} ${cellName(job.cell)}  ${summaryOf(job)}`);
    pushDetails(lines, job, failuresOf.get(job.id) ?? [], "    ");
    for (const [i, attempt] of attempts.entries()) {
      lines.push(`    attempt ${i + 2} (confirmation): ${summaryOf(attempt)}`);
      pushDetails(lines, attempt, failuresOf.get(attempt.id) ?? [], "      ");
    }
  }
  return lines.join("\n");
}

/** A job's conclusion, counts, time and wait, as one line shows them. */
function summaryOf(job: JobRecord): string {
  const conclusion = job.conclusion ?? job.state;
  const counts = job.counts;
  const parts = job.countsUnknown ? ["test counts unknown"] : counts ? [`${counts.passed} passed`, counts.failed ? `${counts.failed} failed` : "", counts.error ? `${counts.error} errors` : "", counts.skipped ? `${counts.skipped} skipped` : ""].filter(Boolean) : [];
  const took = job.startedAt !== undefined && job.finishedAt !== undefined ? ` in ${formatDuration(job.finishedAt - job.startedAt)}` : "";
  const waited = job.startedAt !== undefined ? ` (waited ${formatDuration(job.startedAt - job.createdAt)})` : "";
  return `${conclusion}${parts.length > 0 ? `  ${parts.join(", ")}` : ""}${took}${waited}`;
}

/** A job's error and its failures with their locations, indented under its line. */
function pushDetails(lines: string[], job: JobRecord, failures: readonly TestResult[], indent: string): void {
  if (job.error) {
    const where = job.error.location ? ` (${job.error.location.path}:${job.error.location.line})` : "";
    lines.push(`${indent}${firstLine(job.error.message)}${where}`);
  }
  for (const test of failures) {
    lines.push(`${indent}${test.outcome === "error" ? "error" : "failed"} ${test.id} at ${test.location ? `${test.location.path}:${test.location.line}` : "location unknown"}`);
    const message = firstLine(test.message ?? "");
    if (message) lines.push(`${indent}  ${message.slice(0, 300)}`);
  }
}

/** A stored job as a report cell; a job still queued or running reports its state so far. */
function reportCellOf(job: JobRecord, tests: TestResult[]): ReportCell {
  const finished = job.startedAt !== undefined && job.finishedAt !== undefined;
  return createReportCell(
    job.cell,
    {
      conclusion: job.conclusion ?? (job.state === "cancelled" ? "cancelled" : "pending"),
      counts: job.counts ?? emptyCounts(),
      error: job.error ? { message: job.error.message, location: job.error.location } : undefined,
      notes: jobSpecOf(job).notes,
      durationMs: finished ? (job.finishedAt ?? 0) - (job.startedAt ?? 0) : undefined,
    },
    tests,
  );
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}

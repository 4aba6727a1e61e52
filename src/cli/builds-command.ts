import { Command } from "commander";
import { openExistingStore } from "../store/open-existing-store.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { Settings } from "../settings/load-settings.js";
import { groupAttempts } from "../history/job-test-plan.js";
import { parseCommandLine, UsageError } from "./parse-command-line.js";

/** `ponyci builds`' command line. Starts nothing. */
export function buildsCli(): Command {
  return new Command("builds")
    .summary("list recorded builds")
    .description("Lists recorded builds, newest first: #id, repository, ref, commit, status and\ncells finished. Details of one build: ponyci show <id>. Reads PONYCI_DATA_DIR's store.")
    .option("-r, --repo <name>", "only this repository's builds")
    .option("-n, --limit <n>", "at most this many (1 to 1000)", "20")
    .option("--json", "the list as JSON on stdout (shape: docs/cli.md)");
}

interface Output {
  write(text: string): void;
}

/** `ponyci builds`: reads the store of PONYCI_DATA_DIR (never creates one). Returns the exit code. */
export async function buildsCommand(argv: string[], deps: { settings: Pick<Settings, "dataDir">; out: Output }): Promise<number> {
  const parsed = parseCommandLine<{ repo?: string; limit: string; json?: boolean }>(buildsCli(), argv, deps.out);
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const values = parsed.options;
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, not ${values.limit}`);
  const store = openExistingStore({ dataDir: deps.settings.dataDir });
  try {
    const builds = store.listBuilds({ repo: values.repo, limit });
    const rows = builds.map((build) => ({ build, jobs: store.listJobs(build.id) }));
    if (values.json) {
      deps.out.write(`${JSON.stringify({ builds: rows.map(listedBuild) }, null, 2)}\n`);
      return 0;
    }
    if (builds.length === 0) {
      deps.out.write(values.repo ? `No builds of ${values.repo} yet.\n` : "No builds yet.\n");
      return 0;
    }
    deps.out.write(`${renderBuildsTable(rows)}\n`);
    return 0;
  } finally {
    store.close();
  }
}

/** One build of `ponyci builds --json`: the stable shape docs/cli.md documents (fields are added, never renamed). */
export interface ListedBuild {
  id: number;
  repo: string;
  /** "github", "bridge" or "cli". */
  source: string;
  event: string;
  sha: string;
  branch: string | null;
  prNumber: number | null;
  /** As the table's status column: queued, running, planning, config error, or the conclusion (success, failure…). */
  status: string;
  /** queued, running or finished. */
  state: string;
  conclusion: string | null;
  cells: { total: number; ended: number };
  /** ISO 8601, UTC. */
  createdAt: string;
  /** The upstream app commit a downstream build was tested against. */
  upstream: { repo: string; sha: string; buildId: number } | null;
}

/** A build as `ponyci builds --json` lists it. Pure. */
export function listedBuild({ build, jobs }: { build: BuildRecord; jobs: readonly JobRecord[] }): ListedBuild {
  const upstream = upstreamOf(build);
  return {
    id: build.id,
    repo: build.repo,
    source: build.source,
    event: build.event,
    sha: build.sha,
    branch: build.branch ?? null,
    prNumber: build.prNumber ?? null,
    status: statusOf(build),
    state: build.status.state,
    conclusion: build.status.conclusion ?? null,
    cells: { total: jobs.length, ended: jobs.filter((job) => job.state === "finished" || job.state === "cancelled").length },
    createdAt: new Date(build.createdAt).toISOString(),
    upstream: upstream ? { repo: upstream.repo, sha: upstream.sha, buildId: upstream.buildId } : null,
  };
}

/** The build list: one row per build. Pure. */
export function renderBuildsTable(rows: readonly { build: BuildRecord; jobs: readonly JobRecord[] }[]): string {
  const header = ["#", "repo", "ref", "sha", "status", "cells"];
  const table = rows.map(({ build, jobs: all }) => {
    // A confirmation re-run is an attempt of its cell, not a cell.
    const jobs = groupAttempts(all).map((cell) => cell.job);
    const ended = jobs.filter((job) => job.state === "finished" || job.state === "cancelled").length;
    return [`#${build.id}`, build.repo, refOf(build), build.sha.slice(0, 12), statusOf(build), jobs.length === 0 ? "-" : `${ended}/${jobs.length}`];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...table.map((row) => (row[i] ?? "").length)));
  const format = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [format(header), ...table.map(format)].join("\n");
}

/** "main", "PR #7", or "main ← owner/app" for a build triggered by its upstream app. */
export function refOf(build: BuildRecord): string {
  const ref = build.prNumber !== undefined ? `PR #${build.prNumber}` : (build.branch ?? "-");
  const upstream = upstreamOf(build);
  return upstream ? `${ref} ← ${upstream.repo}` : ref;
}

/** queued, running, success, failure…, "planning" before the config is read, "config error". */
export function statusOf(build: BuildRecord): string {
  if (build.planState === "pending") return "planning";
  if (build.planState === "config-error") return "config error";
  if (build.status.state !== "finished") return build.status.state;
  return build.status.conclusion ?? "no cells";
}

/** The upstream app commit a downstream build was tested against (kept in `trigger.request`). */
export function upstreamOf(build: BuildRecord): { repo: string; sha: string; buildId: number } | undefined {
  const request = build.trigger.request as { upstream?: { repo: string; sha: string; buildId: number } } | undefined;
  return request?.upstream;
}

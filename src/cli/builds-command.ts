import { parseArgs } from "node:util";
import { openStore } from "../store/open-store.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { Settings } from "../settings/load-settings.js";
import { groupAttempts } from "../history/job-test-plan.js";

export const BUILDS_USAGE = `ponyci builds [--repo NAME] [--limit N]

Lists recorded builds, newest first: #id, repository, ref, commit, status and
cells finished. Details of one build: ponyci show <id>.`;

interface Output {
  write(text: string): void;
}

/** `ponyci builds`: reads the store of PONYCI_DATA_DIR. Returns the exit code. */
export async function buildsCommand(argv: string[], deps: { settings: Pick<Settings, "dataDir">; out: Output }): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { repo: { type: "string" }, limit: { type: "string" }, help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    deps.out.write(`${BUILDS_USAGE}\n`);
    return 0;
  }
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error(`--limit must be a whole number from 1 to 1000, not ${values.limit}`);
  const store = openStore({ dataDir: deps.settings.dataDir });
  try {
    const builds = store.listBuilds({ repo: values.repo, limit });
    if (builds.length === 0) {
      deps.out.write(values.repo ? `No builds of ${values.repo} yet.\n` : "No builds yet.\n");
      return 0;
    }
    deps.out.write(`${renderBuildsTable(builds.map((build) => ({ build, jobs: store.listJobs(build.id) })))}\n`);
    return 0;
  } finally {
    store.close();
  }
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

import type { BuildListener } from "../builds/build-listener.js";
import type { Outbox } from "../outbox/outbox.js";
import type { Build } from "../domain/build.js";
import type { Clock } from "../domain/clock.js";
import { systemClock } from "../domain/clock.js";
import type { Store } from "../store/store.js";
import type { Job } from "../domain/job.js";
import type { CheckRunWrite } from "./check-run-write.js";
import { AGGREGATE_CHECK_NAME, aggregateConclusion, aggregateExternalId, aggregateKey, allEnded, cellCheckConclusion, latestCells } from "./checks/decide-aggregate.js";
import { formatTimestamp } from "./checks/format.js";
import { renderAggregateOutput } from "./checks/render-aggregate-output.js";
import { escapeMarkdown } from "./checks/safe-text.js";
import { RERUN_FAILED_ACTION } from "./checks/build-check-actions.js";

export interface AggregateReporterOptions {
  outbox: Pick<Outbox, "enqueue" | "list">;
  store: Pick<Store, "findBuilds" | "listJobs">;
  /** Base URL of the build pages. */
  publicUrl: string;
  clock?: Clock;
}

/** Why a build ran, when it was not an ordinary push or pull request: the aggregate's first line. */
function reasonOf(build: Build): string | undefined {
  if (build.event === "merge_group") return `Merge queue: this is the merge group of ${build.branch ?? "the queue"}.`;
  if (build.event === "schedule") {
    const cron = build.trigger.request?.schedule?.cron;
    return `Scheduled build of ${build.branch ?? "the default branch"}${cron ? ` (cron "${cron}", UTC)` : ""}: the branch's head as it was at the tick.`;
  }
  if (build.event === "rerequested" || build.event === "rerun-failed") return "Re-run: cells not re-run keep their earlier result.";
  return undefined;
}

/**
 * The cells a build's aggregate stands for: the commit as `build` leaves it,
 * from the GitHub builds of its commit up to this one, oldest first (a
 * downstream build of a private project is another repository's verdict).
 */
export function aggregateCellsOf(store: Pick<Store, "findBuilds" | "listJobs">, build: Build): Job[] {
  const builds = store
    .findBuilds({ repo: build.repo, sha: build.sha })
    .filter((b) => b.id <= build.id && b.source === "github" && b.planState === "planned" && !b.trigger.request?.upstream);
  return latestCells(builds.sort((a, b) => a.id - b.id).map((b) => store.listJobs(b.id)));
}

/**
 * The aggregate check run, one per GitHub build, named "Pony CI": the one
 * check branch protection can require whatever the matrix holds. Two writes
 * a build: created in progress once planned (or completed at once on a config
 * error, with the annotation at the config line), completed when every cell
 * it stands for ended, as the worst of them (decide-aggregate.ts), with the
 * cell table and a "Re-run failed" button (handled in handle-check-rerequests.ts).
 * A re-run's aggregate stands for the commit as the re-run leaves it: the
 * re-run cells replace their earlier results, the others keep theirs.
 */
export function createAggregateReporter(options: AggregateReporterOptions): BuildListener {
  const clock = options.clock ?? systemClock;
  const completed = new Set<number>();
  const target = (build: Build) => {
    const request = build.trigger.request;
    if (build.source !== "github" || !request?.repo.installationId || request.upstream) return undefined;
    const [owner = "", repo = ""] = request.repo.name.split("/");
    return { installationId: request.repo.installationId, owner, repo };
  };
  const buildUrl = (build: Build) => `${options.publicUrl}/builds/${build.id}`;
  const send = (build: Build, kind: "create" | "complete", write: CheckRunWrite) => options.outbox.enqueue({ key: aggregateKey(build.id), kind, payload: write });
  const cellsOf = (build: Build) => aggregateCellsOf(options.store, build);
  const isOpen = (build: Build) => {
    if (completed.has(build.id)) return false;
    const writes = options.outbox.list(aggregateKey(build.id));
    if (writes.some((w) => w.kind === "complete")) {
      completed.add(build.id);
      return false;
    }
    return writes.some((w) => w.kind === "create");
  };
  /** Completes every open aggregate of the commit whose cells all ended. */
  const settle = (changed: Build) => {
    for (const build of options.store.findBuilds({ repo: changed.repo, sha: changed.sha })) {
      const to = target(build);
      if (!to || build.planState !== "planned" || !isOpen(build)) continue;
      const cells = cellsOf(build);
      if (!allEnded(cells)) continue;
      const conclusion = aggregateConclusion(cells.map(cellCheckConclusion));
      const failing = conclusion !== "success";
      completed.add(build.id);
      send(build, "complete", {
        ...to,
        update: {
          status: "completed",
          conclusion,
          completed_at: formatTimestamp(clock.now()),
          output: renderAggregateOutput({ cells, conclusion, sha: build.sha, buildUrl: buildUrl(build), reason: reasonOf(build) }),
          ...(failing ? { actions: [{ label: "Re-run failed", description: "Run the cells that did not pass again", identifier: RERUN_FAILED_ACTION }] } : {}),
        },
      });
    }
  };

  return {
    planned(build, jobs) {
      const to = target(build);
      if (!to) return;
      const cells = cellsOf(build);
      send(build, "create", {
        ...to,
        create: {
          name: AGGREGATE_CHECK_NAME,
          head_sha: build.sha,
          status: "in_progress",
          started_at: formatTimestamp(clock.now()),
          external_id: aggregateExternalId(build.id),
          details_url: buildUrl(build),
          output: renderAggregateOutput({ cells: cells.length > 0 ? cells : jobs, sha: build.sha, buildUrl: buildUrl(build), reason: reasonOf(build) }),
        },
      });
    },

    configError(build, error) {
      const to = target(build);
      if (!to) return;
      const file = error.file ?? ".github/ponyci.yml";
      completed.add(build.id);
      send(build, "complete", {
        ...to,
        create: {
          name: AGGREGATE_CHECK_NAME,
          head_sha: build.sha,
          status: "completed",
          conclusion: "failure",
          completed_at: formatTimestamp(clock.now()),
          external_id: aggregateExternalId(build.id),
          details_url: buildUrl(build),
          output: {
            title: `Broken configuration: ${file}${error.line ? ` line ${error.line}` : ""}`,
            summary: `Pony CI could not plan this commit: **${escapeMarkdown(error.message)}**\n\nFix the file and push again; see the reference of \`.github/ponyci.yml\` in Pony CI's docs/repo-config.md.`,
            annotations: [{ path: file, start_line: error.line ?? 1, end_line: error.line ?? 1, annotation_level: "failure", message: error.message.slice(0, 60_000), title: "Pony CI configuration" }],
          },
        },
      });
    },

    finished({ build }) {
      settle(build);
    },

    cancelled(build) {
      settle(build);
    },
  };
}

import { requestOf } from "../domain/build.js";
import { cellKey } from "../domain/cell.js";
import type { BuildListener, CellFinished } from "../builds/build-listener.js";
import type { BuildService } from "../builds/create-build-service.js";
import { selectDownstreamProjects, type DownstreamProject, type DownstreamTarget } from "./select-downstream-projects.js";
import type { Store } from "../store/store.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import type { RefResolver } from "../domain/cell-runner.js";

export interface DownstreamTriggerOptions {
  /** The private repositories; those with `after:` are downstream projects. */
  projects: readonly DownstreamProject[];
  builds: Pick<BuildService, "submit">;
  /** Recent builds of a project: the same project commit × app commit × cell is built once. */
  store: Pick<Store, "listBuilds">;
  /** The project's latest commit of a branch (`git ls-remote`). */
  checkout: RefResolver;
  log?: Logger;
}

export interface DownstreamTrigger extends BuildListener {
  /** Resolves when every trigger started so far has submitted (or given up): for tests and shutdown. */
  idle(): Promise<void>;
}

/**
 * The downstream trigger (DESIGN.md: "app passed → build project against the
 * app's commit"): a build listener that, when a cell of a GitHub app's
 * default-branch build passes, builds each project listing the app in
 * `after:` — the project's latest commit, in that cell only, with the app at
 * exactly that commit first on the Python path (`request.upstream`, kept in
 * the build's `trigger.request`). A failed app cell triggers nothing. Never
 * throws into the caller: failures (project unreachable) are logged.
 */
export function createDownstreamTrigger(options: DownstreamTriggerOptions): DownstreamTrigger {
  const log = options.log ?? silentLogger;
  const pending = new Set<Promise<void>>();

  return {
    finished(event) {
      for (const target of selectDownstreamProjects(event, options.projects)) {
        const work = trigger(event, target).catch((error: unknown) =>
          log.error({ project: target.project.name, app: event.build.repo, err: error }, "could not start the downstream build"),
        );
        pending.add(work);
        void work.finally(() => pending.delete(work));
      }
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };

  async function trigger(event: CellFinished, target: DownstreamTarget): Promise<void> {
    const { build, job } = event;
    const { project } = target;
    const appRequest = requestOf(build);
    // 1. The project's latest commit.
    const sha = await options.checkout.resolveRef({ url: project.url }, target.branch);
    // 2. Once per project commit × app commit × cell (a re-run of the app's cell changes nothing).
    const key = cellKey(job.cell);
    const already = options.store.listBuilds({ repo: project.name, limit: 100 }).find((existing) => {
      const request = existing.trigger.request;
      return existing.sha === sha && request?.upstream?.repo === build.repo && request.upstream.sha === build.sha && request.rerun?.cells?.some((cell) => cellKey(cell) === key);
    });
    if (already) {
      log.info({ project: project.name, build: already.id }, "downstream build of this app commit and cell already exists");
      return;
    }
    // 3. Submit: the project in that cell, against the app at that commit.
    const submitted = options.builds.submit({
      source: "bridge",
      repo: { name: project.name, cloneUrl: project.url, visibility: project.visibility },
      sha,
      branch: target.branch === "HEAD" ? undefined : target.branch,
      event: "downstream",
      rerun: { cells: [job.cell] },
      upstream: { repo: build.repo, cloneUrl: appRequest.repo.cloneUrl, sha: build.sha, buildId: build.id, installationId: appRequest.repo.installationId },
    });
    if (!submitted) return;
    log.info({ project: project.name, build: submitted.build.id, app: build.repo, appSha: build.sha, cell: key }, "downstream build queued");
    await submitted.planned;
  }
}

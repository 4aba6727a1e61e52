import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { HostPython } from "../../../src/domain/host-python.js";
import { fetchProjectPage, type IndexFile } from "./fetch-sdist.js";

export type ProjectPage = { url: string; files: IndexFile[] };

/** How long a fetched project page answers again: the builds of one push, not the next day's. */
export const PROJECT_PAGE_TTL_MS = 60_000;

/**
 * A project's PEP 691 page from the operator's index (fetchProjectPage),
 * fetched once for every caller within `ttlMs`: the cold builds of one
 * matrix ask for Django's page to pick its version and again to fetch its
 * wheel first (createUvInstaller.fetchDjangoWheel), and each page is one
 * host Python start and a few hundred KiB. Concurrent callers share one
 * request; a failure is not kept. Undefined: the index has no such project.
 */
export function createProjectPageMemo(options: { host: HostPython; tmpDir: string; ttlMs?: number; now?: () => number }): (project: string) => Promise<ProjectPage | undefined> {
  const ttlMs = options.ttlMs ?? PROJECT_PAGE_TTL_MS;
  const now = options.now ?? Date.now;
  const pages = new Map<string, { at: number; page: Promise<ProjectPage | undefined> }>();
  return (project) => {
    const kept = pages.get(project);
    if (kept && now() - kept.at < ttlMs) return kept.page;
    const page = (async () => {
      await mkdir(options.tmpDir, { recursive: true });
      const scratchDir = await mkdtemp(join(options.tmpDir, "index-page-"));
      try {
        return await fetchProjectPage(project, { host: options.host, scratchDir });
      } finally {
        await rm(scratchDir, { recursive: true, force: true });
      }
    })();
    pages.set(project, { at: now(), page });
    page.catch(() => pages.get(project)?.page === page && pages.delete(project));
    return page;
  };
}

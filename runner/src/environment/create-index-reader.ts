import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fetchProjectPage } from "./fetch-sdist.js";
import type { HostPython } from "../../../src/domain/host-python.js";
import { readWheelMetadata, type WheelMetadataResult, type WheelToRead } from "./read-wheel-metadata.js";

/** The operator's package index, read through the host's Python: project pages (PEP 691) and wheels' metadata. */
export interface IndexReader {
  page(project: string, signal?: AbortSignal): Promise<{ url: string; files: readonly Record<string, unknown>[] } | undefined>;
  metadata(wheels: readonly WheelToRead[], signal?: AbortSignal): Promise<Map<string, WheelMetadataResult>>;
}

/** An IndexReader on the operator's index, with scratch space under `tmpDir` (removed after each page). */
export function createIndexReader(options: { host: HostPython; tmpDir: string }): IndexReader {
  return {
    async page(project, signal) {
      await mkdir(options.tmpDir, { recursive: true });
      const scratchDir = await mkdtemp(join(options.tmpDir, "index-page-"));
      try {
        const page = await fetchProjectPage(project, { host: options.host, scratchDir, signal });
        return page && { url: page.url, files: page.files as unknown as Record<string, unknown>[] };
      } finally {
        await rm(scratchDir, { recursive: true, force: true });
      }
    },
    metadata: (wheels, signal) => readWheelMetadata(wheels, { host: options.host, signal }),
  };
}

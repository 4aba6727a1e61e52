import { readdir, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { isProcessAlive } from "../../../src/domain/is-process-alive.js";
import { readUntrustedFile } from "../../../src/util/read-untrusted-file.js";

/** The file in a job directory naming the process that runs the job ("host:pid"). */
export const JOB_OWNER_FILE = "owner";

export interface JobDir {
  path: string;
  /** True while the job may still run: its owner is alive (or cannot be checked from here). */
  live: boolean;
  mtimeMs: number;
}

export interface ListJobDirsOptions {
  isAlive?: (pid: number) => boolean;
  now?: number;
  /** A directory with no owner file yet (being created) or of another host counts as live this long. Default 1 h / 24 h. */
  unownedGraceMs?: number;
  otherHostGraceMs?: number;
}

/**
 * The job directories under `<workDir>/jobs` and whether their job is still
 * running. The cell runner writes JOB_OWNER_FILE as soon as it creates a
 * directory and removes the directory when the job ends; what is left of a
 * dead owner on this host is a crashed job's.
 */
export async function listJobDirs(workDir: string, options: ListJobDirsOptions = {}): Promise<JobDir[]> {
  const isAlive = options.isAlive ?? isProcessAlive;
  const now = options.now ?? Date.now();
  const jobsDir = join(workDir, "jobs");
  let names: string[];
  try {
    names = await readdir(jobsDir);
  } catch {
    return [];
  }
  const dirs: JobDir[] = [];
  for (const name of names) {
    const path = join(jobsDir, name);
    let st;
    try {
      st = await stat(path);
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue;
    const owner = await readUntrustedFile(join(path, JOB_OWNER_FILE), { maxBytes: 1024 });
    let live: boolean;
    const at = owner?.lastIndexOf(":") ?? -1;
    if (owner === undefined || at < 0) {
      live = now - st.mtimeMs < (options.unownedGraceMs ?? 60 * 60 * 1000);
    } else if (owner.slice(0, at) === hostname()) {
      live = isAlive(Number(owner.slice(at + 1)));
    } else {
      live = now - st.mtimeMs < (options.otherHostGraceMs ?? 24 * 60 * 60 * 1000);
    }
    dirs.push({ path, live, mtimeMs: st.mtimeMs });
  }
  return dirs;
}

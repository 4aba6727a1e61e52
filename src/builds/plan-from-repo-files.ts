import { RepoConfigError } from "./config/repo-config-error.js";
import { repoConfigPaths } from "./config/repo-config.js";
import { MAX_INCLUDE_DEPTH, MAX_REQUIREMENT_FILES, REQUIREMENT_FILES } from "./detect-test-requirements.js";
import type { ReadRepoFile } from "./matrix/read-repo-file.js";
import { WORKFLOWS_DIR } from "./matrix/services-from-workflows.js";
import { posix } from "node:path";
import { logicalLines, parseRequirementLine } from "../domain/parse-requirement-line.js";
import { CheckoutError } from "../domain/checkout-error.js";

/** Planning files (repository config, tox.ini, pyproject.toml, setup.cfg, requirement files) bigger than this are a config error, never parsed. */
export const MAX_PLANNING_FILE_BYTES = 256 * 1024;

/**
 * `uv.lock` is the one planning file that is large by nature (a real lock is
 * 0.5–3 MB: every wheel's URL and hash), so it has its own bound. It is only
 * scanned line by line for its packages' names, versions and sources, never
 * parsed whole (read-uv-lock.ts), so the cost stays linear and small.
 */
export const MAX_UV_LOCK_BYTES = 16 * 1024 * 1024;

/** The most bytes planning reads of a file: {@link MAX_UV_LOCK_BYTES} for `uv.lock`, else {@link MAX_PLANNING_FILE_BYTES}. Readers take it as their per-file bound. */
export function planningFileLimit(path: string): number {
  return path.replace(/^(\.\/|\/)+/, "") === "uv.lock" ? MAX_UV_LOCK_BYTES : MAX_PLANNING_FILE_BYTES;
}

/**
 * What planning reads, fetched at once in parallel (one round trip): the
 * config, tox and package metadata, and every requirement file detection
 * looks for. setup.py is read only to know it exists (its dependencies then
 * come from the build backend, at run time: project-metadata-spec.ts).
 * Planning may ask for more (`-r` includes, one round per level; the test
 * settings files, only when neither the config nor a workflow names a
 * database, services-from-settings.ts: a project whose CI says so costs no
 * settings reads, which on the App's path are a contents-API GET each).
 */
export const FIRST_PLANNING_READS: readonly string[] = [...repoConfigPaths, "tox.ini", "pyproject.toml", "setup.cfg", "setup.py", ...REQUIREMENT_FILES, WORKFLOWS_DIR];

/** Rounds of further reads: one per level of `-r` includes. */
const MAX_READ_ROUNDS = MAX_INCLUDE_DEPTH;

/**
 * Plans from a repository's files at a commit: {@link FIRST_PLANNING_READS}
 * are fetched in one round; should `plan` ask for another file (an `-r`
 * include), it is fetched in a further round and `plan` called again (it is
 * pure, so that is cheap), at most {@link MAX_READ_ROUNDS} more times; a file
 * still unread then reads as missing. `readFiles` reads with its own bounds
 * (the GitHub contents API, the git mirror); every file is size-checked here.
 * @throws RepoConfigError for a file over its {@link planningFileLimit}, and whatever `plan` throws.
 */
export async function planFromRepoFiles<T>(readFiles: (paths: string[]) => Promise<Map<string, string | undefined>>, plan: (read: ReadRepoFile, files: ReadonlyMap<string, string | undefined>) => T): Promise<T> {
  const files = new Map<string, string | undefined>();
  let wanted = [...FIRST_PLANNING_READS];
  for (let round = 0; ; round++) {
    // Fetch, then follow the fetched files' own `-r`/`-c` includes (reads only, no planning): a chain of
    // includes costs read rounds, not one planning each (issue 23: planning ran once per level).
    for (let level = 0; wanted.length > 0 && level <= MAX_READ_ROUNDS; level++) {
      const fetched = await readFiles(wanted).catch((error: unknown) => {
        // A mirror reader refuses a file over the cap before reading it (readBlobs' maxBytes): the same config error.
        if (error instanceof CheckoutError && error.file) throw tooLarge(error.file.path, error.file.size);
        throw error;
      });
      for (const path of wanted) files.set(path, checkPlanningFileSize(path, fetched.get(path)));
      // Bounded like planning's own reading (MAX_REQUIREMENT_FILES): a file of 10,000 `-r` lines is not 10,000 reads.
      wanted = [...new Set(wanted.flatMap((path) => includesOf(path, files.get(path))))].filter((path) => !files.has(path)).slice(0, Math.max(0, MAX_REQUIREMENT_FILES - files.size));
    }
    const asked = new Set<string>();
    const result = plan((path) => {
      if (!files.has(path)) asked.add(path);
      return files.get(path);
    }, files);
    if (asked.size === 0 || round >= MAX_READ_ROUNDS) return result;
    wanted = [...asked];
  }
}

/** The files a requirement file includes (`-r`, `-c`), as planning resolves them; none for other files. */
function includesOf(path: string, text: string | undefined): string[] {
  if (text === undefined || !/\.(txt|in)$/.test(path)) return [];
  const out: string[] = [];
  for (const line of logicalLines(text)) {
    const parsed = parseRequirementLine(line.text);
    if (parsed.type !== "include" && parsed.type !== "constraint") continue;
    if (posix.isAbsolute(parsed.path)) continue;
    const joined = posix.normalize(posix.join(posix.dirname(path), parsed.path));
    if (joined !== ".." && !joined.startsWith("../")) out.push(joined);
  }
  return out;
}

/** A planning file over its {@link planningFileLimit} is refused before any parser sees it. */
function checkPlanningFileSize(path: string, text: string | undefined): string | undefined {
  const limit = planningFileLimit(path);
  if (text === undefined || text.length <= limit / 4) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= limit) return text;
  throw tooLarge(path, bytes);
}

function tooLarge(path: string, bytes: number): RepoConfigError {
  const limit = planningFileLimit(path);
  const what = limit === MAX_PLANNING_FILE_BYTES ? "planning files" : path;
  return new RepoConfigError({ file: path, message: `${path} is ${bytes} bytes: Pony CI reads ${what} of at most ${limit >= 1024 * 1024 ? `${limit / 1024 / 1024} MiB` : `${limit / 1024} KiB`}.` });
}

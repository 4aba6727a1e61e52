import { execa } from "execa";
import { CheckoutError } from "../../../src/domain/checkout-error.js";
import { parseCatFileBatch } from "./parse-cat-file-batch.js";

export interface ReadBlobsOptions {
  /** A git directory (the bare mirror). */
  gitDir: string;
  /** A commit present in `gitDir`. */
  sha: string;
  /** Paths from the repository root; a leading `./` or `/` is ignored. */
  paths: readonly string[];
  env: Record<string, string>;
  /** Files larger than this (or than what it answers for their path) are not read: CheckoutError `file-too-large` naming the first (its `file`: path and size). */
  maxBytes?: number | ((path: string) => number);
  /** Each git call's deadline (default {@link READ_BLOBS_TIMEOUT_MS}): a mirror on a hung disk fails the read, never holds planning. */
  timeoutMs?: number;
}

/** As long as the GitHub contents reader waits: planning from a mirror is no slower to give up. */
export const READ_BLOBS_TIMEOUT_MS = 30_000;

/**
 * Reads files at a commit with one `git cat-file --batch` (plain git: simple-git
 * cannot feed stdin nor return bytes). A path ending in `/` reads a directory
 * as the names of its files, one per line. Missing paths, directories asked
 * for as files, submodules and names git cannot be asked about (holding a
 * newline) map to `undefined`.
 */
export async function readBlobs(options: ReadBlobsOptions): Promise<Map<string, string | undefined>> {
  const result = new Map<string, string | undefined>();
  const asked = options.paths.filter((path) => !/[\n\r\0]/.test(path));
  for (const path of options.paths) result.set(path, undefined);
  if (asked.length === 0) return result;
  const timeout = options.timeoutMs ?? READ_BLOBS_TIMEOUT_MS;
  const input = asked.map((path) => `${options.sha}:${path.replace(/^(\.\/|\/)+/, "")}\n`).join("");
  if (options.maxBytes !== undefined) {
    const { maxBytes } = options;
    const limitOf = typeof maxBytes === "number" ? () => maxBytes : maxBytes;
    // Sizes first (`--batch-check`): a repository's 2 GB tox.ini is refused without being read into memory.
    const checked = await execa("git", ["--git-dir", options.gitDir, "cat-file", "--batch-check=%(objecttype) %(objectsize)"], { input, env: options.env, extendEnv: false, reject: false, timeout });
    if (checked.timedOut) throw new CheckoutError("git-failed", `git cat-file --batch-check in ${options.gitDir} took longer than ${timeout} ms`);
    const sizes = checked.stdout;
    sizes.split("\n").forEach((line, i) => {
      const [type, size] = line.split(" ");
      const path = asked[i];
      if (type === "blob" && path !== undefined && Number(size) > limitOf(path)) {
        throw new CheckoutError("file-too-large", `${path} is ${Number(size)} bytes`, { file: { path, size: Number(size) } });
      }
    });
  }
  let stdout: Uint8Array;
  try {
    ({ stdout } = await execa("git", ["--git-dir", options.gitDir, "cat-file", "--batch"], { input, encoding: "buffer", stripFinalNewline: false, env: options.env, extendEnv: false, timeout }));
  } catch (error) {
    if (error instanceof Error && "timedOut" in error && error.timedOut === true) throw new CheckoutError("git-failed", `git cat-file --batch in ${options.gitDir} took longer than ${timeout} ms`, { cause: error });
    const detail = error instanceof Error && "stderr" in error ? Buffer.from(error.stderr as Uint8Array).toString("utf8").trim() : String(error);
    throw new CheckoutError("git-failed", `git cat-file --batch in ${options.gitDir} failed: ${detail}`, { cause: error });
  }
  const answers = parseCatFileBatch(Buffer.from(stdout), asked.length);
  asked.forEach((path, i) => {
    const answer = answers[i];
    if (answer?.type === "blob" && !path.endsWith("/")) result.set(path, answer.content.toString("utf8"));
    else if (answer?.type === "tree" && path.endsWith("/")) result.set(path, listTreeFiles(answer.content, options.sha.length === 64 ? 32 : 20).join("\n"));
  });
  return result;
}

/**
 * The names of the regular files in a raw git tree object (entries
 * `<mode> <name>\0<object id>`), for a directory asked for as `dir/`.
 * Names holding a newline are left out (the listing is one name per line).
 */
function listTreeFiles(tree: Buffer, idBytes: number): string[] {
  const names: string[] = [];
  let at = 0;
  while (at < tree.length) {
    const space = tree.indexOf(0x20, at);
    const nul = tree.indexOf(0, space + 1);
    if (space < 0 || nul < 0) break;
    const mode = tree.subarray(at, space).toString("latin1");
    const name = tree.subarray(space + 1, nul).toString("utf8");
    if ((mode === "100644" || mode === "100755") && !name.includes("\n")) names.push(name);
    at = nul + 1 + idBytes;
  }
  return names;
}

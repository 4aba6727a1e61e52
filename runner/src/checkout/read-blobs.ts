import { execa } from "execa";
import { CheckoutError } from "./checkout-error.js";
import { parseCatFileBatch } from "./parse-cat-file-batch.js";

export interface ReadBlobsOptions {
  /** A git directory (the bare mirror). */
  gitDir: string;
  /** A commit present in `gitDir`. */
  sha: string;
  /** Paths from the repository root; a leading `./` or `/` is ignored. */
  paths: readonly string[];
  env: Record<string, string>;
}

/**
 * Reads files at a commit with one `git cat-file --batch` (plain git: simple-git
 * cannot feed stdin nor return bytes). Missing paths, directories, submodules and
 * names git cannot be asked about (holding a newline) map to `undefined`.
 */
export async function readBlobs(options: ReadBlobsOptions): Promise<Map<string, string | undefined>> {
  const result = new Map<string, string | undefined>();
  const asked = options.paths.filter((path) => !/[\n\r\0]/.test(path));
  for (const path of options.paths) result.set(path, undefined);
  if (asked.length === 0) return result;
  const input = asked.map((path) => `${options.sha}:${path.replace(/^(\.\/|\/)+/, "")}\n`).join("");
  let stdout: Uint8Array;
  try {
    ({ stdout } = await execa("git", ["--git-dir", options.gitDir, "cat-file", "--batch"], { input, encoding: "buffer", stripFinalNewline: false, env: options.env, extendEnv: false }));
  } catch (error) {
    const detail = error instanceof Error && "stderr" in error ? Buffer.from(error.stderr as Uint8Array).toString("utf8").trim() : String(error);
    throw new CheckoutError("git-failed", `git cat-file --batch in ${options.gitDir} failed: ${detail}`, { cause: error });
  }
  const answers = parseCatFileBatch(Buffer.from(stdout), asked.length);
  asked.forEach((path, i) => {
    const answer = answers[i];
    result.set(path, answer?.type === "blob" ? answer.content.toString("utf8") : undefined);
  });
  return result;
}

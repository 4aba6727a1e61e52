import { readFileSync } from "node:fs";
import path from "node:path";
import { parsePrivateRepos } from "./parse-private-repos.js";
import type { PrivateRepo } from "./private-repo.js";
import { PrivateReposError } from "./private-repos-error.js";

/**
 * Reads the private repositories file (PONYCI_PRIVATE_REPOS; schema in
 * docs/bridge.md), and each `secret_file:` it names (relative paths are
 * relative to the file's directory; surrounding whitespace is trimmed, as the
 * hook does). Read once at boot.
 * @throws PrivateReposError naming the file, the line and the fix
 */
export function loadPrivateRepos(file: string): PrivateRepo[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new PrivateReposError({
      file,
      cause: error,
      message: `the private repositories file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): create it (see docs/bridge.md) or unset PONYCI_PRIVATE_REPOS`,
    });
  }
  const dir = path.dirname(path.resolve(file));
  return parsePrivateRepos(text, { file, readSecretFile: (secretFile) => readFileSync(path.resolve(dir, secretFile), "utf8") });
}

import { constants } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The shipped hook script: runner/hooks/post-receive, from src/ or from dist/src/. */
export async function findHookScript(): Promise<string> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, "../../runner/hooks/post-receive"), path.resolve(here, "../../../runner/hooks/post-receive")];
  for (const candidate of candidates) {
    const found = await access(candidate, constants.R_OK).then(() => true, () => false);
    if (found) return candidate;
  }
  throw new Error(`the post-receive hook script is missing (looked in ${candidates.join(", ")}): reinstall Pony CI`);
}

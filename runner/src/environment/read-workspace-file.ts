import { readFileSync, realpathSync, statSync } from "node:fs";
import { resolve, sep } from "node:path";

/** Requirement files bigger than this are not read (a checkout is untrusted). */
export const MAX_REQUIREMENT_FILE_BYTES = 1024 * 1024;

/**
 * A `readFile` for detectTestRequirements over a checkout: repository-relative
 * paths, symlinks followed only while they stay inside the checkout, files
 * over 1 MiB ignored. Returns undefined for anything it will not read.
 */
export function createWorkspaceReader(workspace: string): (path: string) => string | undefined {
  const root = realpathSync(workspace);
  return (path) => {
    try {
      const real = realpathSync(resolve(root, path));
      if (real !== root && !real.startsWith(root + sep)) return undefined;
      const stat = statSync(real);
      if (!stat.isFile() || stat.size > MAX_REQUIREMENT_FILE_BYTES) return undefined;
      return readFileSync(real, "utf8");
    } catch {
      return undefined;
    }
  };
}

import { sanitizeText } from "./safe-text.js";

/** Container directories the runner mounts the repository at. */
export const DEFAULT_WORKSPACE_PREFIXES: readonly string[] = ["/workspace/"];

/**
 * Repo-root-relative, forward-slash form of a path for an annotation
 * ("polls/tests.py"), or undefined when the path cannot be a file of the
 * repository (empty, absolute outside the workspace, or climbing out with
 * ".."): GitHub shows annotations in "Files changed" only for such paths
 * (https://github.com/wearerequired/lint-action/pull/1012).
 */
export function normalizeAnnotationPath(path: string, workspacePrefixes: readonly string[] = DEFAULT_WORKSPACE_PREFIXES): string | undefined {
  let result = sanitizeText(path).trim().replace(/\\/g, "/");
  for (const prefix of workspacePrefixes) {
    const withSlash = prefix.endsWith("/") ? prefix : `${prefix}/`;
    if (result.startsWith(withSlash)) {
      result = result.slice(withSlash.length);
      break;
    }
  }
  if (result.startsWith("/")) return undefined;
  const segments = result.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.length === 0 || segments.includes("..")) return undefined;
  return segments.join("/");
}

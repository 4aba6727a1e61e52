import { createHash } from "node:crypto";
import { join } from "node:path";

/**
 * Where the bare mirror of `url` lives: `<cacheDir>/mirrors/<name>-<hash>.git`.
 * The name (last two path segments, sanitised) is for people; the hash of the
 * whole url (credentials stripped, trailing `.git` and `/` ignored) keeps two
 * repositories of the same name apart and the same repository together.
 */
export function getMirrorPath(cacheDir: string, url: string): string {
  const normalised = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1").replace(/\/+$/, "").replace(/\.git$/, "");
  const hash = createHash("sha256").update(normalised).digest("hex").slice(0, 12);
  const pathPart = normalised.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "").replace(/^[^/:]+:(?!\/)/, "");
  const segments = pathPart.split(/[/\\]+/).filter((s) => s.length > 0);
  const name = segments.slice(-2).join("-").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[.-]+/, "").slice(0, 60) || "repo";
  return join(cacheDir, "mirrors", `${name}-${hash}.git`);
}

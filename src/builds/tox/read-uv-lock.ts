import { parse as parseToml } from "smol-toml";
import { parseRequirementLine } from "../../domain/parse-requirement-line.js";
import type { ReadRepoFile } from "../matrix/read-repo-file.js";
import { normalizeName } from "../../domain/normalize-name.js";

/** Most packages read from a lock file (a hostile one is bounded by MAX_UV_LOCK_BYTES too). */
const MAX_LOCKED_PACKAGES = 5000;

/** A kept line longer than this is dropped: a name, version or source of a real lock is far shorter. */
const MAX_KEPT_LINE = 4096;

/**
 * The versions a project's `uv.lock` pins, as constraints (`name==version`,
 * each re-serialised from a strict parse): what tox-uv's
 * `uv-venv-lock-runner` installs. Used as constraints, not requirements, so
 * the cell installs what its env needs (the project's dependencies, its
 * extras and dependency groups, tox deps) at exactly the locked versions,
 * resolved and downloaded on the host by uv, installed offline in the
 * container like every environment. Only packages from an index are pinned
 * (never the project itself, paths, URLs or git); Django is left to the
 * cell; a package locked at several versions (uv's forks for markers or
 * conflicting groups) is left free, with a note. Pure; undefined when there
 * is no uv.lock, a note when it does not parse.
 *
 * Cost: a real lock is megabytes of wheel URLs and hashes (read with its own
 * bound, MAX_UV_LOCK_BYTES); only its table headers and the `name`,
 * `version` and `source` lines of each table are kept (one linear scan,
 * at most MAX_LOCKED_PACKAGES tables) and that small text is parsed as TOML,
 * so parsing never sees the bulk.
 */
export function readUvLock(readFile: ReadRepoFile): { constraints: string[]; notes: string[] } | undefined {
  const text = readFile("uv.lock");
  if (text === undefined) return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(keepPackageKeys(text)) as Record<string, unknown>;
  } catch (error) {
    return { constraints: [], notes: [`uv.lock is not valid TOML (${error instanceof Error ? error.message.split("\n")[0] : "parse error"}): its versions are not used`] };
  }
  const packages = Array.isArray(doc.package) ? doc.package.slice(0, MAX_LOCKED_PACKAGES) : [];
  const versions = new Map<string, Set<string>>();
  for (const entry of packages) {
    if (typeof entry !== "object" || entry === null) continue;
    const { name, version, source } = entry as { name?: unknown; version?: unknown; source?: unknown };
    if (typeof name !== "string" || typeof version !== "string") continue;
    if (typeof source !== "object" || source === null || typeof (source as { registry?: unknown }).registry !== "string") continue;
    const key = normalizeName(name);
    if (!versions.has(key)) versions.set(key, new Set());
    versions.get(key)!.add(version);
  }
  const constraints: string[] = [];
  const several: string[] = [];
  for (const [name, found] of [...versions].sort(([a], [b]) => a.localeCompare(b))) {
    if (name === "django") continue;
    if (found.size > 1) {
      several.push(name);
      continue;
    }
    const parsed = parseRequirementLine(`${name}==${[...found][0]}`);
    if (parsed.type === "requirement") constraints.push(parsed.spec);
  }
  const notes = several.length > 0 ? [`uv.lock pins several versions of ${several.join(", ")} (for different markers or groups): those are resolved, not pinned`] : [];
  return { constraints, notes };
}

/**
 * The lines of a uv.lock that say which packages it pins: table headers
 * (`[[package]]`, `[package.metadata]`…) and the top-level `name`, `version`
 * and `source` keys under them, up to MAX_LOCKED_PACKAGES `[[package]]`
 * tables. uv writes each of those on one line at column 0; the lists of
 * dependencies, sdists and wheels (indented, or other keys) are left out.
 */
function keepPackageKeys(text: string): string {
  const kept: string[] = [];
  let packages = 0;
  for (const match of text.matchAll(/^(?:\[|(?:name|version|source)[ \t]*=).*$/gm)) {
    const line = match[0];
    if (line.length > MAX_KEPT_LINE) continue;
    if (/^\[\[\s*package\s*\]\]/.test(line) && ++packages > MAX_LOCKED_PACKAGES) break;
    kept.push(line);
  }
  return kept.join("\n");
}

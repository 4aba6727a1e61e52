import { readPyproject } from "../../domain/read-pyproject.js";
import { RequirementsError } from "../../domain/requirements-error.js";
import type { ReadRepoFile } from "../matrix/read-repo-file.js";
import { normalizeName } from "../../domain/normalize-name.js";

/** How deep `{include-group = "…"}` is followed (PEP 735 forbids cycles; a bound keeps a hostile file cheap). */
const MAX_GROUP_DEPTH = 5;
/** Most requirement strings taken from the groups of one env. */
const MAX_GROUP_LINES = 2000;

/**
 * The requirement strings of PEP 735 dependency groups (pyproject.toml
 * `[dependency-groups]`), each group's own strings then those of the groups
 * it includes, for tox's `dependency_groups`. Names are compared
 * normalised (PEP 735: like project names). Groups that do not exist come
 * back in `missing`. The strings are not yet checked: they go through the
 * same strict parse as every deps line. Pure; never throws for broken TOML
 * (the requirements detection reports it).
 */
export function readDependencyGroups(readFile: ReadRepoFile, groups: readonly string[]): { requirements: string[]; missing: string[] } {
  const text = readFile("pyproject.toml");
  if (text === undefined) return { requirements: [], missing: [...groups] };
  let doc;
  try {
    doc = readPyproject(text, "pyproject.toml");
  } catch (error) {
    if (error instanceof RequirementsError) return { requirements: [], missing: [...groups] };
    throw error;
  }
  const table = doc.table(["dependency-groups"]) ?? {};
  const byName = new Map(Object.keys(table).map((key) => [normalizeName(key), key]));
  const requirements: string[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const visit = (group: string, depth: number): boolean => {
    const key = byName.get(normalizeName(group));
    if (key === undefined) return false;
    if (seen.has(key) || depth > MAX_GROUP_DEPTH) return true;
    seen.add(key);
    const value = doc.array(["dependency-groups", key]);
    for (const spec of value?.strings ?? []) if (requirements.length < MAX_GROUP_LINES && !requirements.includes(spec.text)) requirements.push(spec.text);
    for (const include of value?.tables ?? []) if (typeof include["include-group"] === "string") visit(include["include-group"], depth + 1);
    return true;
  };
  for (const group of groups) if (!visit(group, 0)) missing.push(group);
  return { requirements, missing };
}

import { parse as parseToml } from "smol-toml";
import { findIniSection, parseIni } from "../matrix/parse-ini.js";
import type { ReadRepoFile } from "../matrix/read-repo-file.js";
import { normalizeName } from "../../domain/normalize-name.js";

/** The requirements of a project's extras, and the extras not found. */
export interface PackageExtras {
  requirements: string[];
  missing: string[];
}

/**
 * The requirement lines of the named extras of the project being tested
 * (tox `extras`), from pyproject.toml `[project.optional-dependencies]`,
 * else setup.cfg `[options.extras_require]`. A self-reference
 * (`mypkg[other]`) is followed once. Extras a setup.py computes cannot be
 * read without running it: they come back in `missing`. Never throws (a
 * broken pyproject.toml reads as having no extras). Pure.
 */
export function readPackageExtras(readFile: ReadRepoFile, extras: readonly string[]): PackageExtras {
  const table = readExtrasTable(readFile);
  const requirements: string[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const visit = (extra: string, depth: number) => {
    const key = normalizeName(extra);
    if (seen.has(key)) return;
    seen.add(key);
    const lines = table.extras.get(key);
    if (!lines) {
      if (depth === 0) missing.push(extra);
      return;
    }
    for (const line of lines) {
      const self = table.name ? new RegExp(`^${escapeRegExp(table.name)}\\s*\\[([^\\]]+)\\]`, "i").exec(line.replace(/[-_.]+/g, "-")) : null;
      if (self && depth < 3) {
        for (const inner of (self[1] ?? "").split(",")) visit(inner.trim(), depth + 1);
      } else if (!requirements.includes(line)) {
        requirements.push(line);
      }
    }
  };
  for (const extra of extras) visit(extra, 0);
  return { requirements, missing };
}

function readExtrasTable(readFile: ReadRepoFile): { name?: string; extras: Map<string, string[]> } {
  const extras = new Map<string, string[]>();
  const pyproject = readFile("pyproject.toml");
  if (pyproject !== undefined) {
    try {
      const project = (parseToml(pyproject) as { project?: { name?: unknown; "optional-dependencies"?: unknown } }).project;
      const optional = project?.["optional-dependencies"];
      if (optional && typeof optional === "object") {
        for (const [extra, list] of Object.entries(optional)) {
          if (Array.isArray(list)) extras.set(normalizeName(extra), list.filter((x): x is string => typeof x === "string").map((x) => x.trim()));
        }
        return { name: typeof project?.name === "string" ? normalizeName(project.name) : undefined, extras };
      }
    } catch {
      // unreadable TOML: fall through to setup.cfg
    }
  }
  const setupCfg = readFile("setup.cfg");
  if (setupCfg !== undefined) {
    const sections = parseIni(setupCfg);
    const section = findIniSection(sections, "options.extras_require");
    for (const [extra, entry] of section?.entries ?? []) {
      extras.set(normalizeName(extra), entry.lines.map((l) => l.text.trim()).filter((l) => l !== "" && !l.startsWith("#")));
    }
    const name = findIniSection(sections, "metadata")?.entries.get("name")?.lines[0]?.text.trim();
    return { name: name ? normalizeName(name) : undefined, extras };
  }
  return { extras };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

import { findIniSection, parseIni, type IniEntry, type IniSection } from "./parse-ini.js";
import { readPyproject } from "./read-pyproject.js";
import type { ReadRepoFile } from "./read-repo-file.js";

/** A repository's tox configuration, in INI form wherever it was written. */
export interface ToxConfig {
  /** The file it came from: tox.ini, setup.cfg or pyproject.toml. */
  file: string;
  /** Every INI section, line numbers relative to `file`. */
  sections: IniSection[];
  /** The core section: `[tox]` (tox.ini, legacy_tox_ini) or `[tox:tox]` (setup.cfg). */
  core: IniSection | undefined;
}

/**
 * Find the repository's tox configuration where tox 4 looks for it, in its
 * order: tox.ini (always, when present), setup.cfg with a `[tox:tox]`
 * section, pyproject.toml with `[tool.tox] legacy_tox_ini`. Native TOML
 * tox configs (tox.toml, `[tool.tox] env_list`) are not read.
 * Undefined when there is none.
 */
export function readToxConfig(readFile: ReadRepoFile): ToxConfig | undefined {
  // One parse per planning (per reader): the cells' readings share it, and with it the expansion budget of resolveToxEnv.
  if (parsed.has(readFile)) return parsed.get(readFile);
  const config = parseToxConfig(readFile);
  parsed.set(readFile, config);
  return config;
}

const parsed = new WeakMap<ReadRepoFile, ToxConfig | undefined>();

function parseToxConfig(readFile: ReadRepoFile): ToxConfig | undefined {
  const toxIni = readFile("tox.ini");
  if (toxIni !== undefined) {
    const sections = parseIni(toxIni);
    return { file: "tox.ini", sections, core: findIniSection(sections, "tox") };
  }
  const setupCfg = readFile("setup.cfg");
  if (setupCfg !== undefined) {
    const sections = parseIni(setupCfg);
    const core = findIniSection(sections, "tox:tox");
    if (core) return { file: "setup.cfg", sections, core };
  }
  const pyproject = readFile("pyproject.toml");
  if (pyproject !== undefined) {
    const legacy = readPyproject(pyproject).string(["tool", "tox", "legacy_tox_ini"]);
    if (legacy) {
      const sections = parseIni(legacy.value, { lineOffset: legacy.valueLine - 1 });
      return { file: "pyproject.toml", sections, core: findIniSection(sections, "tox") };
    }
  }
  return undefined;
}

/**
 * The text of a tox setting as tox 4 reads it: comments (`#` to the end of
 * a line, unless escaped as `\#`) removed, lines ending in `\` joined with
 * the next, lines joined with newlines.
 */
export function readToxValue(entry: IniEntry): string {
  const lines = entry.lines.map((l) => l.text.replace(/\s*(?<!\\)#.*$/, "").replace(/\\#/g, "#"));
  return lines.join("\n").replace(/\\\n/g, " ").trim();
}

/**
 * Most characters `{[section]key}` references may produce for one tox
 * configuration, all its envs and readers together (one planning reads one
 * config: readToxConfig keeps one per reader). Every expansion's output
 * counts, at every level, so the work is bounded and not only the text: a
 * 1.6 KB tox.ini of nested references spent a million characters per env
 * and per reading, seconds of event loop per push (issue 23).
 */
export const MAX_EXPANDED_CHARS = 1_000_000;
const budgets = new WeakMap<ToxConfig, { left: number }>();

/** Takes `chars` from the config's expansion budget: false (nothing taken) when it does not hold them. */
export function spendExpansion(tox: ToxConfig, chars: number): boolean {
  let budget = budgets.get(tox);
  if (!budget) budgets.set(tox, (budget = { left: MAX_EXPANDED_CHARS }));
  if (chars > budget.left) {
    budget.left = 0;
    return false;
  }
  budget.left -= chars;
  return true;
}

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

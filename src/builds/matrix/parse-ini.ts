/** One physical line of an INI value, with its 1-based line number. */
export interface IniLine {
  text: string;
  line: number;
}

/** One `key = value` entry; `lines` holds the first line's value then every continuation line, trimmed. */
export interface IniEntry {
  key: string;
  line: number;
  lines: IniLine[];
}

/** One `[section]`, its entries by lower-cased key. */
export interface IniSection {
  name: string;
  line: number;
  entries: Map<string, IniEntry>;
}

/** Options for {@link parseIni}. */
export interface ParseIniOptions {
  /** Added to every line number: for INI text embedded in another file (pyproject's `legacy_tox_ini`). */
  lineOffset?: number;
}

/**
 * Parse INI text the way Python's configparser does for tox.ini and
 * setup.cfg: `[section]` headers, `key = value` or `key: value` (the first
 * `=` or `:` splits), indented lines continue the previous value, blank lines
 * inside a value are dropped, whole-line `#`/`;` comments are skipped. A later
 * duplicate key replaces the earlier one. Never throws: unreadable lines are
 * ignored. The one INI reader of the planner (tox.ini, setup.cfg, pyproject's
 * legacy_tox_ini); reuse it rather than writing another.
 *
 * Hand-written on purpose (npm readers tried on a tox.ini, 2026-12): `ini`
 * knows no continuation lines (an indented `    py311` becomes a key of its
 * own), `js-ini` and `config-ini-parser` reject them as parse errors, and
 * `configparser` (npm) reads only from files. tox and setuptools depend on
 * continuation lines, and our messages on line numbers, which none keep.
 */
export function parseIni(text: string, options: ParseIniOptions = {}): IniSection[] {
  const offset = options.lineOffset ?? 0;
  const sections: IniSection[] = [];
  let section: IniSection | undefined;
  let entry: IniEntry | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1 + offset;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) return;
    const indented = /^\s/.test(raw);
    if (indented && entry) {
      entry.lines.push({ text: trimmed, line });
      return;
    }
    const header = /^\[([^\]]+)\]\s*(?:[#;].*)?$/.exec(trimmed);
    if (header && !indented) {
      section = { name: (header[1] ?? "").trim(), line, entries: new Map() };
      sections.push(section);
      entry = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (!kv || !section) {
      entry = undefined;
      return;
    }
    const key = (kv[1] ?? "").toLowerCase();
    entry = { key, line, lines: [{ text: kv[2] ?? "", line }] };
    section.entries.set(key, entry);
  });
  return sections;
}

/** The section named `name`, if any (the last one wins, as in configparser's merge). */
export function findIniSection(sections: readonly IniSection[], name: string): IniSection | undefined {
  return sections.filter((s) => s.name === name).at(-1);
}

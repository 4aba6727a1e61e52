import { parse, TomlError } from "smol-toml";
import { RepoConfigError } from "../config/repo-config-error.js";

/** A pyproject.toml value where Pony CI reads one, with the line its key is on. */
export interface TomlEntry<T> {
  value: T;
  /** 1-based line of the key (1 when the key is in an inline table). */
  line: number;
  /** 1-based line where a string value's text starts (after a multi-line string's opening newline). */
  valueLine: number;
}

/** A parsed pyproject.toml: values by dotted key path, each with its line. */
export interface Pyproject {
  /** The value at `path` (["project", "classifiers"]) if it is a string. */
  string(path: readonly string[]): TomlEntry<string> | undefined;
  /** The strings of the array at `path`; entries that are not strings are left out. */
  strings(path: readonly string[]): TomlEntry<string[]> | undefined;
}

/**
 * Parse pyproject.toml with smol-toml (TOML 1.0, fully). TOML keeps no
 * positions, so {@link locateTomlKey} finds the line of a key for messages.
 * @throws RepoConfigError naming the line and column when the file is not
 *   valid TOML (pip and tox would refuse it too).
 */
export function readPyproject(text: string, file = "pyproject.toml"): Pyproject {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.split("\n")[0] ?? "invalid TOML";
    throw new RepoConfigError({ file, line: error.line, column: error.column, message: `${file} line ${error.line}: not valid TOML: ${reason}`, cause: error });
  }
  const at = (path: readonly string[]): unknown => path.reduce<unknown>((node, key) => (isTable(node) ? node[key] : undefined), doc);
  const where = (path: readonly string[]) => locateTomlKey(text, path) ?? { line: 1, valueLine: 1 };
  return {
    string(path) {
      const value = at(path);
      return typeof value === "string" ? { value, ...where(path) } : undefined;
    },
    strings(path) {
      const value = at(path);
      return Array.isArray(value) ? { value: value.filter((v): v is string => typeof v === "string"), ...where(path) } : undefined;
    },
  };
}

function isTable(node: unknown): node is Record<string, unknown> {
  return typeof node === "object" && node !== null && !Array.isArray(node) && !(node instanceof Date);
}

/**
 * The 1-based line of the key at `path` in TOML text: `[table]` headers and
 * `a.b = …` keys (bare, "basic" or 'literal' parts), skipping the insides of
 * multi-line strings (a `legacy_tox_ini` holds `[tox]` lines of its own).
 * Only a locator for messages: the text was already parsed, so it need not
 * judge validity. Undefined when the key is not written on a line of its own
 * (inline tables).
 */
export function locateTomlKey(text: string, path: readonly string[]): { line: number; valueLine: number } | undefined {
  const wanted = path.join("\u0000");
  const lines = text.split(/\r?\n/);
  let table: string[] = [];
  let inString: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    if (inString) {
      if (closesMultiline(raw, inString)) inString = undefined;
      continue;
    }
    const trimmed = raw.trim();
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/.exec(trimmed);
    if (header) {
      table = splitKey(header[1] ?? "");
      continue;
    }
    const assignment = /^((?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*=\s*(.*)$/.exec(trimmed);
    if (!assignment) continue;
    const rest = assignment[2] ?? "";
    const opener = rest.startsWith('"""') ? '"""' : rest.startsWith("'''") ? "'''" : undefined;
    const full = [...table, ...splitKey(assignment[1] ?? "")];
    if (full.join("\u0000") === wanted) {
      const startsNextLine = opener !== undefined && rest.slice(3).trim() === "";
      return { line: i + 1, valueLine: startsNextLine ? i + 2 : i + 1 };
    }
    if (opener && !closesMultiline(rest.slice(3), opener)) inString = opener;
  }
  return undefined;
}

/** True when `text` holds the closing delimiter of a multi-line string (escaped quotes in basic strings do not close). */
function closesMultiline(text: string, delimiter: string): boolean {
  const body = delimiter === '"""' ? text.replace(/\\./g, "") : text;
  return body.includes(delimiter);
}

/** The parts of a dotted key, quotes removed: `tool."my.tool".x` → ["tool", "my.tool", "x"]. */
function splitKey(key: string): string[] {
  const parts: string[] = [];
  const part = /\s*(?:([A-Za-z0-9_-]+)|"((?:[^"\\]|\\.)*)"|'([^']*)')\s*(?:\.|$)/y;
  let match: RegExpExecArray | null;
  while (part.lastIndex < key.length && (match = part.exec(key))) {
    parts.push(match[1] ?? (match[2] !== undefined ? JSON.parse(`"${match[2]}"`) as string : (match[3] ?? "")));
  }
  return parts;
}

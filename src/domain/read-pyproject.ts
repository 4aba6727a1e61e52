import { parse, TomlError } from "smol-toml";
import { RequirementsError } from "./requirements-error.js";

/** A string array of a TOML document, each entry with the line it is on. */
export interface LocatedStrings {
  strings: { text: string; line?: number }[];
  /** Inline tables in the array (PEP 735's `{include-group = "…"}`). */
  tables: Record<string, unknown>[];
}

export interface PyprojectDocument {
  /** The array at a dotted key path ("project.optional-dependencies.test"), when it is one. */
  array(path: string[]): LocatedStrings | undefined;
  /** The string at a dotted key path, when it is one. */
  string(path: string[]): string | undefined;
  /** The table at a dotted key path, when it is one. */
  table(path: string[]): Record<string, unknown> | undefined;
}

/**
 * Parse a pyproject.toml (or any TOML) with smol-toml. smol-toml gives no
 * positions for values, so each array string is located by a search for its
 * quoted spelling in the text: a small key-to-line locator for error messages
 * (the first occurrence; undefined when escapes make it unfindable).
 * @throws RequirementsError naming `file` and the line when the TOML is broken.
 */
export function readPyproject(text: string, file: string): PyprojectDocument {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) throw new RequirementsError({ file, line: error.line }, `not valid TOML: ${error.message.split("\n")[0]}`);
    throw error;
  }
  const at = (path: string[]): unknown => path.reduce<unknown>((node, key) => (isTable(node) ? node[key] : undefined), doc);
  return {
    array(path) {
      const value = at(path);
      if (!Array.isArray(value)) return undefined;
      const strings = value.filter((v): v is string => typeof v === "string").map((s) => ({ text: s, line: lineOf(text, s) }));
      const tables = value.filter(isTable);
      return { strings, tables };
    },
    string(path) {
      const value = at(path);
      return typeof value === "string" ? value : undefined;
    },
    table(path) {
      const value = at(path);
      return isTable(value) ? value : undefined;
    },
  };
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function lineOf(text: string, value: string): number | undefined {
  for (const quoted of [JSON.stringify(value), `'${value}'`]) {
    const index = text.indexOf(quoted);
    if (index !== -1) return text.slice(0, index).split("\n").length;
  }
  return undefined;
}

import { isAlias, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";

/** Most YAML aliases a config file may use (the `yaml` package's own default for toJS is 100). */
export const MAX_YAML_ALIASES = 100;

/** A parsed YAML config file with what its readers need to name lines. */
export interface YamlDocument {
  doc: Document.Parsed;
  /** The text it was parsed from (numbers keep the spelling they were written with). */
  text: string;
  /** 1-based line and column where `node` starts (line 1 for none). */
  positionOf(node: Node | null | undefined): { line: number; column: number };
  /** The node an alias points to; null for an absent value. */
  resolve(node: Node | null | undefined): Node | null;
}

/** The text is not YAML a config may be: `problem` says why; `line` is 1-based. */
export class YamlDocumentError extends Error {
  override readonly name = "YamlDocumentError";
  constructor(
    /** "syntax": not YAML; "aliases": more aliases than {@link MAX_YAML_ALIASES}. */
    readonly kind: "syntax" | "aliases",
    readonly problem: string,
    readonly line: number,
    readonly column: number | undefined,
    options?: { cause: unknown },
  ) {
    super(problem, options);
  }
}

/**
 * The one YAML reader of Pony CI's config files (`.github/ponyci.yml`, the
 * private repositories' file): duplicate keys refused, syntax errors at
 * their line (an error found past the end, an unclosed quote or bracket, on
 * the last written line), at most {@link MAX_YAML_ALIASES} aliases (each is
 * resolved by a walk of the whole document: n aliases cost n², 8k ≈ 100 s).
 * @throws YamlDocumentError
 */
export function readYamlDocument(text: string): YamlDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0] ?? lineCounter.linePos(yamlError.pos[0]);
    const lastLine = Math.max(1, text.trimEnd().split("\n").length);
    const [line, column] = pos.line > lastLine ? [lastLine, undefined] : [pos.line, pos.col];
    const what = yamlError.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? "invalid YAML";
    throw new YamlDocumentError("syntax", what, line, column, { cause: yamlError });
  }
  let aliases = 0;
  visit(doc, { Alias: () => (++aliases > MAX_YAML_ALIASES ? visit.BREAK : undefined) });
  if (aliases > MAX_YAML_ALIASES) throw new YamlDocumentError("aliases", `more than ${MAX_YAML_ALIASES} YAML aliases (*name): write the values out instead`, 1, undefined);
  return {
    doc,
    text,
    positionOf(node) {
      const pos = lineCounter.linePos(node?.range?.[0] ?? 0);
      return { line: pos.line, column: pos.col };
    },
    resolve(node) {
      if (node === null || node === undefined) return null;
      if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
      if (isScalar(node) && node.value === null) return null;
      return node;
    },
  };
}

/**
 * A TOML value as far as Pony CI reads it: strings and arrays of them.
 * Numbers, booleans, dates and inline tables are skipped and read as `undefined`.
 */
export type TomlValue = string | TomlValue[] | undefined;

/** One `key = value` with the 1-based line its key is on. */
export interface TomlEntry {
  value: TomlValue;
  line: number;
  /** 1-based line where a string value's text starts (after a multi-line string's leading newline). */
  valueLine: number;
}

/**
 * Read the strings and string arrays of a TOML document (pyproject.toml),
 * keyed by full dotted path: `[project]` + `classifiers = [...]` gives
 * "project.classifiers". Handles every string form (basic, literal, and both
 * multi-line forms with escapes), multi-line arrays with comments and trailing
 * commas, dotted and quoted keys, and `[[array.tables]]` (their keys are
 * skipped). Never throws: a statement it cannot read is skipped up to the next
 * line, so one odd value never hides the rest of the file.
 */
export function parseTomlSubset(text: string): Map<string, TomlEntry> {
  const scanner = new Scanner(text);
  const entries = new Map<string, TomlEntry>();
  let table: string | undefined = "";
  while (scanner.skipBlank()) {
    const start = scanner.pos;
    try {
      if (scanner.peek() === "[") {
        const arrayTable = scanner.peek(1) === "[";
        scanner.pos += arrayTable ? 2 : 1;
        const name = scanner.readKey();
        scanner.expect(arrayTable ? "]]" : "]");
        table = arrayTable ? undefined : name.join(".");
      } else {
        const line = scanner.lineAt(scanner.pos);
        const key = scanner.readKey();
        scanner.expect("=");
        scanner.stringStart = scanner.pos;
        const value = scanner.readValue();
        const valueLine = scanner.lineAt(scanner.stringStart);
        if (table !== undefined) entries.set([table, ...key].filter((part) => part !== "").join("."), { value, line, valueLine });
      }
      scanner.skipToLineEnd();
    } catch (error) {
      if (!(error instanceof TomlStop)) throw error;
      if (text[start] === "[") table = undefined;
      scanner.pos = start;
      scanner.skipToLineEnd(true);
    }
  }
  return entries;
}

/** Thrown inside the scanner to abandon one unreadable statement. */
class TomlStop extends Error {}

const escapes: Readonly<Record<string, string>> = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", '"': '"', "\\": "\\", e: "\x1b" };

class Scanner {
  pos = 0;
  /** Offset where the text of the last string read starts. */
  stringStart = 0;
  constructor(private readonly text: string) {}

  peek(ahead = 0): string {
    return this.text[this.pos + ahead] ?? "";
  }

  lineAt(offset: number): number {
    let line = 1;
    for (let i = 0; i < offset; i++) if (this.text[i] === "\n") line++;
    return line;
  }

  /** Skip whitespace, newlines and comments; false at the end of the text. */
  skipBlank(): boolean {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || c === "\r" || c === "\n") this.pos++;
      else if (c === "#") this.skipToLineEnd(true);
      else return this.pos < this.text.length;
    }
  }

  skipSpaces(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }

  /** Move past the end of the current line; unless `force`, only spaces and a comment may remain on it. */
  skipToLineEnd(force = false): void {
    this.skipSpaces();
    if (!force && this.peek() !== "#" && this.peek() !== "\n" && this.peek() !== "\r" && this.pos < this.text.length) throw new TomlStop();
    const end = this.text.indexOf("\n", this.pos);
    this.pos = end === -1 ? this.text.length : end + 1;
  }

  expect(token: string): void {
    this.skipSpaces();
    if (!this.text.startsWith(token, this.pos)) throw new TomlStop();
    this.pos += token.length;
  }

  readKey(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.peek();
      if (c === '"') parts.push(this.readBasic());
      else if (c === "'") parts.push(this.readLiteral());
      else {
        const bare = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.pos, this.pos + 200))?.[0];
        if (!bare) throw new TomlStop();
        parts.push(bare);
        this.pos += bare.length;
      }
      this.skipSpaces();
      if (this.peek() !== ".") return parts;
      this.pos++;
    }
  }

  readValue(): TomlValue {
    this.skipSpaces();
    if (this.text.startsWith('"""', this.pos)) return this.readMultiline('"""');
    if (this.text.startsWith("'''", this.pos)) return this.readMultiline("'''");
    const c = this.peek();
    if (c === '"') return this.readBasic();
    if (c === "'") return this.readLiteral();
    if (c === "[") return this.readArray();
    if (c === "{") return this.skipInlineTable();
    const token = /^[^\s,\]}#]+/.exec(this.text.slice(this.pos, this.pos + 200))?.[0];
    if (!token) throw new TomlStop();
    this.pos += token.length;
    return undefined;
  }

  private readArray(): TomlValue[] {
    this.pos++;
    const items: TomlValue[] = [];
    for (;;) {
      if (!this.skipBlank()) throw new TomlStop();
      if (this.peek() === "]") {
        this.pos++;
        return items;
      }
      items.push(this.readValue());
      if (!this.skipBlank()) throw new TomlStop();
      if (this.peek() === ",") this.pos++;
      else if (this.peek() !== "]") throw new TomlStop();
    }
  }

  private skipInlineTable(): undefined {
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.peek();
      if (c === '"' || c === "'") this.readValue();
      else {
        if (c === "{" || c === "[") depth++;
        if (c === "}" || c === "]") depth--;
        this.pos++;
        if (depth === 0) return undefined;
      }
    }
    throw new TomlStop();
  }

  private readLiteral(): string {
    const end = this.text.indexOf("'", this.pos + 1);
    const newline = this.text.indexOf("\n", this.pos + 1);
    if (end === -1 || (newline !== -1 && newline < end)) throw new TomlStop();
    this.stringStart = this.pos + 1;
    const value = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return value;
  }

  private readBasic(): string {
    this.pos++;
    this.stringStart = this.pos;
    let value = "";
    for (;;) {
      const c = this.peek();
      if (c === "" || c === "\n") throw new TomlStop();
      this.pos++;
      if (c === '"') return value;
      value += c === "\\" ? this.readEscape() : c;
    }
  }

  private readMultiline(quote: '"""' | "'''"): string {
    this.pos += 3;
    if (this.peek() === "\r") this.pos++;
    if (this.peek() === "\n") this.pos++;
    this.stringStart = this.pos;
    let value = "";
    for (;;) {
      if (this.pos >= this.text.length) throw new TomlStop();
      if (this.text.startsWith(quote, this.pos)) {
        // Up to two quotes may sit right before the closing delimiter: """a""""" is 'a""'.
        let extra = 0;
        while (extra < 2 && this.text.startsWith(quote, this.pos + extra + 1)) extra++;
        value += quote[0]?.repeat(extra) ?? "";
        this.pos += 3 + extra;
        return value;
      }
      const c = this.peek();
      this.pos++;
      if (c === "\\" && quote === '"""') {
        if (/^[ \t]*\r?\n/.test(this.text.slice(this.pos, this.pos + 100))) {
          while (/\s/.test(this.peek())) this.pos++;
        } else {
          value += this.readEscape();
        }
      } else {
        value += c;
      }
    }
  }

  private readEscape(): string {
    const c = this.peek();
    this.pos++;
    const simple = escapes[c];
    if (simple !== undefined) return simple;
    const width = c === "u" ? 4 : c === "U" ? 8 : c === "x" ? 2 : 0;
    const hex = this.text.slice(this.pos, this.pos + width);
    if (width === 0 || !/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== width) throw new TomlStop();
    this.pos += width;
    return String.fromCodePoint(parseInt(hex, 16));
  }
}

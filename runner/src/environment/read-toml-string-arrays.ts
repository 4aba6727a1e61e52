/**
 * The string arrays of a TOML document, keyed "table.key": enough of TOML to
 * read dependency lists (`[project] dependencies`, `[project.optional-dependencies]`,
 * `[dependency-groups]`, `[build-system] requires`) without a TOML package.
 * Inline tables inside an array (`{include-group = "test"}`) are returned raw
 * in `tables`; anything that is not a `key = [ … ]` line is ignored.
 */
export interface TomlArray {
  strings: string[];
  tables: string[];
}

export function readTomlStringArrays(text: string): Map<string, TomlArray> {
  const out = new Map<string, TomlArray>();
  let table = "";
  let i = 0;
  const n = text.length;
  const skipLine = () => {
    while (i < n && text[i] !== "\n") i++;
  };
  while (i < n) {
    // at the start of a line
    while (i < n && (text[i] === " " || text[i] === "\t")) i++;
    const c = text[i];
    if (c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#") {
      skipLine();
      continue;
    }
    if (c === "[") {
      const end = text.indexOf("\n", i);
      const header = text.slice(i, end === -1 ? n : end).replace(/#.*$/, "").trim();
      table = header
        .replace(/^\[+|\]+$/g, "")
        .split(".")
        .map((p) => p.trim().replace(/^["']|["']$/g, ""))
        .join(".");
      skipLine();
      continue;
    }
    const m = /^("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=\s*/.exec(text.slice(i, i + 200));
    if (!m || !m[1]) {
      skipLine();
      continue;
    }
    const key = m[1].replace(/^["']|["']$/g, "");
    i += m[0].length;
    if (text[i] !== "[") {
      skipValue();
      continue;
    }
    i++;
    const value: TomlArray = { strings: [], tables: [] };
    while (i < n && text[i] !== "]") {
      const ch = text[i];
      if (ch === '"' || ch === "'") value.strings.push(readString());
      else if (ch === "{") {
        const end = text.indexOf("}", i);
        value.tables.push(text.slice(i, end === -1 ? n : end + 1));
        i = end === -1 ? n : end + 1;
      } else if (ch === "#") skipLine();
      else i++;
    }
    i++;
    out.set(table ? `${table}.${key}` : key, value);
  }
  return out;

  function readString(): string {
    const quote = text[i];
    const triple = text.startsWith(quote!.repeat(3), i);
    const close = triple ? quote!.repeat(3) : quote!;
    i += close.length;
    let s = "";
    while (i < n && !text.startsWith(close, i)) {
      if (quote === '"' && text[i] === "\\") {
        const e = text[i + 1];
        s += e === "n" ? "\n" : e === "t" ? "\t" : (e ?? "");
        i += 2;
      } else s += text[i++];
    }
    i += close.length;
    return s;
  }

  function skipValue(): void {
    // A single-line value, or a multi-line string / inline table we do not need.
    const c = text[i];
    if (c === '"' || c === "'") {
      readString();
      skipLine();
      return;
    }
    if (c === "{") {
      let depth = 0;
      while (i < n) {
        if (text[i] === "{") depth++;
        else if (text[i] === "}" && --depth === 0) break;
        else if (text[i] === '"' || text[i] === "'") {
          readString();
          continue;
        }
        i++;
      }
    }
    skipLine();
  }
}

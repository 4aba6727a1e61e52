/**
 * What a `{…}` substitution of a tox value becomes. Return undefined to
 * keep the expression literally (the caller names it in a note).
 */
export type ToxReplacer = (expression: string) => string | undefined;

/**
 * Replace tox 4's `{…}` substitutions in `value`, innermost first (so
 * `{env:A:{env:B:x}}` and `{posargs:{env:ARGS}}` work as in tox). `\{` and
 * `\}` are literal braces and come back unescaped; a brace that never closes
 * is kept as it is. Hand-written because tox's replacer is Python, and no
 * JavaScript library knows tox's grammar. Pure; a replacement's own text
 * is not scanned again. With `keepEscapes`, `\{` and `\}` stay escaped (a
 * first pass that a second one finishes).
 */
export function substituteToxValue(value: string, replace: ToxReplacer, options: { keepEscapes?: boolean } = {}, depth = 0): string {
  // Untrusted text: deeper nesting than any real tox.ini is kept literally,
  // so the work stays linear in the text's length.
  if (depth > MAX_NESTING) return value;
  let out = "";
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c === "\\" && (value[i + 1] === "{" || value[i + 1] === "}")) {
      out += options.keepEscapes ? value.slice(i, i + 2) : value[i + 1];
      i += 2;
      continue;
    }
    if (c !== "{") {
      out += c;
      i++;
      continue;
    }
    const close = findClose(value, i);
    if (close === -1) {
      out += value.slice(i);
      break;
    }
    const inner = substituteToxValue(value.slice(i + 1, close), replace, options, depth + 1);
    const replaced = replace(inner);
    out += replaced ?? `{${inner}}`;
    i = close + 1;
  }
  return out;
}

const MAX_NESTING = 16;

function findClose(value: string, open: number): number {
  let depth = 0;
  for (let i = open; i < value.length; i++) {
    const c = value[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") depth++;
    if (c === "}" && --depth === 0) return i;
  }
  return -1;
}

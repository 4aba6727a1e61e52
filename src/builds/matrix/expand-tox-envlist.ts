/**
 * Split a tox env list into env names, as tox does: entries are separated by
 * commas or newlines outside braces, and each entry is brace-expanded
 * (`py{39,311}-django{42,52}` gives four names; `py3{10-12}` the range
 * py310, py311, py312). Blank entries are dropped; order is kept, repeats
 * removed.
 */
export function expandToxEnvlist(value: string): string[] {
  const names = splitOutsideBraces(value, /[,\n]/).flatMap((item) => expandBraces(item.trim()));
  return [...new Set(names.filter((name) => name !== ""))];
}

/**
 * Split `text` at every character matching `separator` that is not inside
 * `{…}`; parts are trimmed.
 */
export function splitOutsideBraces(text: string, separator: RegExp): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of text) {
    if (c === "{") depth++;
    if (c === "}") depth = Math.max(0, depth - 1);
    if (depth === 0 && separator.test(c)) {
      parts.push(current.trim());
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current.trim());
  return parts;
}

/**
 * Expand tox's generative braces: every `{a,b}` group multiplies the
 * names, `{10-12}` is an inclusive numeric range. Text without braces comes
 * back as the only element; an unclosed brace is kept literally.
 */
export function expandBraces(text: string): string[] {
  const open = text.indexOf("{");
  const close = open === -1 ? -1 : text.indexOf("}", open);
  if (open === -1 || close === -1) return [text];
  const prefix = text.slice(0, open);
  const alternatives = text.slice(open + 1, close).split(",").flatMap((alt) => expandRange(alt.trim()));
  const rests = expandBraces(text.slice(close + 1));
  return alternatives.flatMap((alt) => rests.map((rest) => `${prefix}${alt}${rest}`));
}

function expandRange(alt: string): string[] {
  const range = /^(\d+)-(\d+)$/.exec(alt);
  if (!range) return [alt];
  const from = Number(range[1]);
  const to = Number(range[2]);
  if (to < from || to - from > 100) return [alt];
  return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
}

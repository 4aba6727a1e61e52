/**
 * Split a tox env list into env names, as tox does: entries are separated by
 * commas or newlines outside braces, and each entry is brace-expanded
 * (`py{39,311}-django{42,52}` gives four names; `py3{10-12}` the range
 * py310, py311, py312). Blank entries are dropped; order is kept, repeats
 * removed.
 */
export function expandToxEnvlist(value: string): string[] {
  const items = splitOutsideBraces(value, /[,\n]/);
  // Counted before anything is expanded: `x{0-100}{0-100}{0-100}{0-100}` is 10^8 names.
  const total = items.reduce((sum, item) => sum + countBraceExpansions(item.trim()), 0);
  if (total > MAX_TOX_ENV_NAMES) throw new ExpansionLimitError(`the tox env list expands to ${total} names; Pony CI reads at most ${MAX_TOX_ENV_NAMES}`);
  const names = items.flatMap((item) => expandBraces(item.trim()));
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
  const count = countBraceExpansions(text);
  if (count > MAX_TOX_ENV_NAMES) throw new ExpansionLimitError(`"${text.slice(0, 80)}" expands to ${count} names; Pony CI expands at most ${MAX_TOX_ENV_NAMES}`);
  return expandBracesUnchecked(text);
}

/** Most names one tox brace expression (or a whole env list) may expand to. */
export const MAX_TOX_ENV_NAMES = 1000;

/** A tox expression that would expand past {@link MAX_TOX_ENV_NAMES}: the planner reports it as a config error. */
export class ExpansionLimitError extends Error {
  override readonly name = "ExpansionLimitError";
}

/** How many names `expandBraces(text)` gives, computed without expanding (capped at 2^53). */
export function countBraceExpansions(text: string): number {
  let count = 1;
  let rest = text;
  for (;;) {
    const open = rest.indexOf("{");
    const close = open === -1 ? -1 : rest.indexOf("}", open);
    if (open === -1 || close === -1) return count;
    const alternatives = rest.slice(open + 1, close).split(",").reduce((sum, alt) => sum + rangeLength(alt.trim()), 0);
    count = Math.min(Number.MAX_SAFE_INTEGER, count * alternatives);
    rest = rest.slice(close + 1);
  }
}

function rangeLength(alt: string): number {
  const range = /^(\d+)-(\d+)$/.exec(alt);
  if (!range) return 1;
  const from = Number(range[1]);
  const to = Number(range[2]);
  return to < from || to - from > 100 ? 1 : to - from + 1;
}

function expandBracesUnchecked(text: string): string[] {
  const open = text.indexOf("{");
  const close = open === -1 ? -1 : text.indexOf("}", open);
  if (open === -1 || close === -1) return [text];
  const prefix = text.slice(0, open);
  const alternatives = text.slice(open + 1, close).split(",").flatMap((alt) => expandRange(alt.trim()));
  const rests = expandBracesUnchecked(text.slice(close + 1));
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

import { expandBraces } from "../matrix/expand-tox-envlist.js";

/** Most names one brace expression may expand to: tox.ini is untrusted, and `{a,b}` groups multiply. */
export const MAX_BRACE_EXPANSION = 1024;

/**
 * tox's brace expansion of one name or condition (`py{311,312}-django{42,52}`),
 * or undefined when it would give more than `limit` names (each group of n
 * alternatives multiplies the count by n, so 40 groups of two would give 2^40).
 * Pure.
 */
export function expandBracesBounded(text: string, limit = MAX_BRACE_EXPANSION): string[] | undefined {
  let count = 1;
  for (const group of text.matchAll(/\{([^{}]*)\}/g)) {
    const body = group[1] ?? "";
    const range = /^(\d+)-(\d+)$/.exec(body.trim());
    count *= range ? Math.max(1, Number(range[2]) - Number(range[1]) + 1) : body.split(",").length;
    if (count > limit) return undefined;
  }
  return expandBraces(text);
}

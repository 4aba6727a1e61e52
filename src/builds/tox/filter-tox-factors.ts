import { splitOutsideBraces } from "../matrix/expand-tox-envlist.js";
import { expandBracesBounded } from "./expand-braces-bounded.js";

/** A longer prefix is not read as a condition (the line is kept as it is). */
const MAX_CONDITION_LENGTH = 400;

/** A factor as tox 4 writes one in a condition: word characters, dots, globs, `!` for "not". */
const FACTOR = /^!?[\w.*?[\]]+$/;

/**
 * The factors that hold for env `name`, as tox 4's `active_factors`: the
 * `-`-separated parts of its name, plus the platform (`linux`: cells run in
 * Linux containers).
 */
export function activeToxFactors(name: string): Set<string> {
  return new Set([...name.split("-").filter((f) => f !== ""), "linux"]);
}

/**
 * Keep the lines of a tox value that apply to an env, as tox 4's
 * `filter_for_env`: a line `cond: content` (the colon followed by a space
 * or the line's end) is kept, without its condition, when the condition
 * holds; `a,b:` means either, `a-b:` both, `!a:` not a, braces expand
 * (`django{42,52}:`). A prefix that is not a factor expression
 * (`python -c "x: y"`) leaves the line as it is. A line ending in `\`
 * carries the decision to the next. Pure.
 */
export function filterToxFactors(value: string, factors: ReadonlySet<string>): string {
  const kept: string[] = [];
  let skipping = false;
  let continuing = false;
  for (const line of value.split("\n")) {
    if (continuing) {
      if (!skipping) kept.push(line);
      continuing = line.endsWith("\\");
      continue;
    }
    const parsed = splitCondition(line);
    skipping = parsed !== undefined && !conditionHolds(parsed.condition, factors);
    if (!skipping) kept.push(parsed ? parsed.content : line);
    continuing = line.endsWith("\\");
  }
  return kept.join("\n");
}

function splitCondition(line: string): { condition: string; content: string } | undefined {
  const marker = /:(\s|$)/.exec(line);
  if (!marker) return undefined;
  const condition = line.slice(0, marker.index).trim();
  if (condition === "") return undefined;
  if (condition.length > MAX_CONDITION_LENGTH) return undefined;
  const expanded = splitOutsideBraces(condition, /,/).map((alt) => expandBracesBounded(alt.replace(/\s+/g, "")));
  if (expanded.some((names) => names === undefined)) return undefined;
  const alternatives = expanded.flat() as string[];
  const valid = alternatives.every((alt) => alt.split("-").every((factor) => FACTOR.test(factor)));
  return valid ? { condition, content: line.slice(marker.index + 1).trim() } : undefined;
}

function conditionHolds(condition: string, factors: ReadonlySet<string>): boolean {
  const alternatives = splitOutsideBraces(condition, /,/).flatMap((alt) => expandBracesBounded(alt.replace(/\s+/g, "")) ?? []);
  return alternatives.some((alt) =>
    alt.split("-").every((factor) => (factor.startsWith("!") ? !factors.has(factor.slice(1)) : factors.has(factor))),
  );
}

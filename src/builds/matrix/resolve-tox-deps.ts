import type { Cell } from "../../domain/cell.js";
import { expandBraces, splitOutsideBraces } from "./expand-tox-envlist.js";
import { findIniSection, type IniEntry } from "./parse-ini.js";
import { parseToxFactor } from "./parse-tox-factor.js";
import { readToxValue, spendExpansion, type ToxConfig } from "./read-tox-config.js";

/** The tox env whose deps are wanted. */
export interface ToxEnvRef {
  /** Env name, e.g. "py311-django42". */
  name: string;
  /** When given, a condition factor naming this Python or Django version matches even if spelled differently (`dj42` for `django42`). */
  cell?: Pick<Cell, "python" | "django" | "database">;
}

/**
 * The pip requirement lines tox would install for one env, minus Django
 * itself (the runner installs the cell's Django separately):
 * 1. `deps` of `[testenv:<name>]` (generative section names included), else of `[testenv]`;
 * 2. `{[section]key}` references replaced by that setting;
 * 3. factor conditions applied as tox 4 does: `a,b:` either, `a-b:` both,
 *    `!a:` not, braces expanded (`django{42,50}:`);
 * 4. `{toxinidir}` made relative, `{env:NAME:default}` given its default;
 *    lines with other substitutions are left out, as are Django lines.
 * Pure; empty when the env has no deps.
 */
export function resolveToxDeps(tox: ToxConfig, env: ToxEnvRef): string[] {
  const entry = findEnvSetting(tox, env.name, "deps");
  if (!entry) return [];
  const factors = new Set(env.name.split("-"));
  const matches = (factor: string): boolean => {
    if (factors.has(factor)) return true;
    const meaning = parseToxFactor(factor);
    if (!env.cell || meaning.kind === "other") return false;
    if (meaning.kind === "database") return env.cell.database !== undefined && meaning.database === env.cell.database;
    return meaning.version === (meaning.kind === "python" ? env.cell.python : env.cell.django);
  };
  const deps: string[] = [];
  for (const rawLine of expandReferences(tox, readToxValue(entry), 0).split("\n")) {
    const conditional = /^([\w{}.!,-]+):\s+(.*)$/.exec(rawLine.trim());
    if (conditional && !conditionHolds(conditional[1] ?? "", matches)) continue;
    const line = substitute((conditional ? conditional[2] ?? "" : rawLine).trim());
    if (line === undefined || line === "" || isDjangoRequirement(line)) continue;
    if (!deps.includes(line)) deps.push(line);
  }
  return deps;
}

/** A setting of env `name`: its own section (exact or generative name) first, then `[testenv]`. */
function findEnvSetting(tox: ToxConfig, name: string, key: string): IniEntry | undefined {
  const own = tox.sections.filter((s) => s.name.startsWith("testenv:") && expandBraces(s.name.slice("testenv:".length)).includes(name));
  for (const section of own.reverse()) {
    const entry = section.entries.get(key);
    if (entry) return entry;
  }
  return findIniSection(tox.sections, "testenv")?.entries.get(key);
}

function conditionHolds(condition: string, matches: (factor: string) => boolean): boolean {
  const alternatives = splitOutsideBraces(condition, /,/).flatMap((alt) => expandBraces(alt));
  return alternatives.some((alt) =>
    alt.split("-").every((factor) => (factor.startsWith("!") ? !matches(factor.slice(1)) : matches(factor))),
  );
}

function expandReferences(tox: ToxConfig, text: string, depth: number): string {
  if (depth > 5) return text;
  return text.replace(/\{\[([^\]]+)\]([\w-]+)\}/g, (whole, section: string, key: string) => {
    const entry = findIniSection(tox.sections, section)?.entries.get(key.toLowerCase());
    if (!entry) return whole;
    // Bounded with resolveToxEnv's expansions (the config's budget): spent, the reference stays as it is.
    const value = readToxValue(entry);
    const expanded = spendExpansion(tox, value.length) ? expandReferences(tox, value, depth + 1) : undefined;
    return expanded !== undefined && spendExpansion(tox, expanded.length) ? expanded : whole;
  });
}

/** Replace the substitutions pip can do without; undefined when one remains. */
function substitute(line: string): string | undefined {
  const replaced = line
    .replace(/\{toxinidir\}[\\/]/g, "")
    .replace(/\{toxinidir\}/g, ".")
    .replace(/\{env:[^:}]+:([^}]*)\}/g, "$1")
    .replace(/^-([rc])\s*/, "-$1 ");
  return /\{[^}]*\}/.test(replaced) ? undefined : replaced;
}

/** True for a requirement on Django itself ("Django>=4.2,<5", "django~=5.2.0"), not for django-* packages. */
export function isDjangoRequirement(line: string): boolean {
  return /^django\s*(\[[^\]]*\])?\s*([<>=!~;@(]|$)/i.test(line) || /github\.com\/django\/django\b/i.test(line);
}

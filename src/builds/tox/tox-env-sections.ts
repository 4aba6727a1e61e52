import { expandBracesBounded } from "./expand-braces-bounded.js";
import { findIniSection, type IniSection } from "../matrix/parse-ini.js";
import type { ToxConfig } from "../matrix/read-tox-config.js";

/**
 * The sections tox 4 reads an env's settings from, in order: its own
 * `[testenv:<name>]` (generative names such as `[testenv:py{311,312}]`
 * included), then each section its `base` names (default `testenv`), tried
 * as `[<base>]` and then `[testenv:<base>]`. The first section holding a key
 * gives its value. `base` is read from the env's own section only, as tox does.
 */
export function listToxEnvSections(tox: ToxConfig, name: string): IniSection[] {
  const prefix = "testenv"; // setup.cfg too: only the core section is [tox:tox]
  const own = tox.sections.filter((s) => s.name.startsWith(`${prefix}:`) && (expandBracesBounded(s.name.slice(prefix.length + 1)) ?? []).includes(name));
  const ownSection = own.at(-1);
  const baseEntry = ownSection?.entries.get("base");
  const bases = baseEntry ? splitList(baseEntry.lines.map((l) => l.text).join("\n")) : ["testenv"];
  const chain: IniSection[] = [...own.reverse()];
  for (const base of bases) {
    const names = base === "testenv" ? [prefix] : [base, `${prefix}:${base}`];
    for (const sectionName of names) {
      const section = findIniSection(tox.sections, sectionName);
      if (section && !chain.includes(section)) chain.push(section);
    }
  }
  return chain;
}

/** A tox list value: items separated by commas or newlines, blanks dropped. */
export function splitList(value: string): string[] {
  return value.split(/[,\n]/).map((item) => item.trim()).filter((item) => item !== "");
}

import { formatRequirement, parseRequirement, RequirementSyntaxError } from "./parse-requirement.js";

export { normalizeName } from "./parse-requirement.js";

/**
 * One logical line of a pip requirements file, classified strictly:
 * - `requirement`: a PEP 508 requirement, re-serialised (`spec`) from its
 *   parse (see parseRequirement), with its normalised project `name`;
 * - `include` / `constraint`: `-r file` / `-c file`: read by Pony CI itself
 *   (inside the checkout), never handed to pip;
 * - `skip`: harmless and not installed: the project itself in editable mode
 *   (`-e .`: the checkout is on the test path) and Django (the cell's
 *   version is installed instead), with the reason in `note`;
 * - `invalid`: anything else (pip options, URLs, VCS, paths, bad syntax),
 *   with the reason: a config error for the repository to fix.
 */
export type RequirementLine =
  | { type: "requirement"; name: string; spec: string }
  | { type: "include" | "constraint"; path: string }
  | { type: "skip"; note: string }
  | { type: "invalid"; reason: string }
  | { type: "empty" };

/** A logical line with the number of its first physical line (1-based). */
export interface NumberedLine {
  line: number;
  text: string;
}

/**
 * `--hash` options pip-compile writes after a pin: dropped (pip checks the
 * index's own hashes), and only in exactly this spelling.
 */
const HASH_OPTION = /\s+--hash[=\s]\s*sha(?:256|384|512):[0-9a-fA-F]{32,128}/g;
/** The project itself, editable: `-e .`, `-e .[test]`, `--editable=./`. */
const EDITABLE_SELF = /^(?:-e|--editable)(?:\s+|=)\.\/?(?:\[[A-Za-z0-9,._ -]*\])?$/;
/** Characters that end a line for Python's str.splitlines() (what pip uses), other than \n and \r\n. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const PYTHON_LINE_BREAK = /[\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029]/;
/** Control characters, which never belong in a requirements file. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0e-\x1f\x7f-\x9f]/;

/** Remove a comment (`#` at the start or after whitespace) from one physical line. */
export function stripComment(line: string): string {
  const m = /(^|\s)#/.exec(line);
  return (m ? line.slice(0, m.index) : line).trim();
}

/**
 * The logical lines of a requirements file: `\` continuations joined,
 * comments stripped, blank lines dropped, each with its line number.
 * Lines are split at "\n" only (a "\r" before it is dropped); any other
 * character Python would break a line at, and any control character, make
 * the line `{ invalid }` (it is reported, never passed on).
 */
export function logicalLines(text: string): (NumberedLine & { invalid?: string })[] {
  const out: (NumberedLine & { invalid?: string })[] = [];
  let pending = "";
  let start = 0;
  const physical = text.split("\n");
  for (const [i, rawWithCr] of physical.entries()) {
    const raw = rawWithCr.endsWith("\r") ? rawWithCr.slice(0, -1) : rawWithCr;
    const odd = PYTHON_LINE_BREAK.exec(raw) ?? CONTROL.exec(raw);
    if (odd) {
      const code = odd[0].codePointAt(0)!.toString(16).padStart(4, "0").toUpperCase();
      out.push({ line: i + 1, text: "", invalid: `character U+${code} is not allowed (pip would read it as a line break or it is a control character)` });
      pending = "";
      continue;
    }
    if (!pending) start = i + 1;
    const line = stripComment(raw);
    if (raw.trimEnd().endsWith("\\") && !/(^|\s)#/.test(raw)) {
      pending += line.slice(0, -1).trimEnd() + " ";
      continue;
    }
    const joined = (pending + line).trim();
    pending = "";
    if (joined) out.push({ line: start, text: joined });
  }
  if (pending.trim()) out.push({ line: start, text: pending.trim() });
  return out;
}

function optionValue(line: string, short: string, long: string): string | undefined {
  const m = new RegExp(`^(?:${short}|${long})(?:=|\\s+)(.+)$`).exec(line);
  if (m && m[1]) return m[1].trim();
  return line.startsWith(`${short}`) && !line.startsWith("--") && line.length > short.length ? line.slice(short.length).trim() : undefined;
}

/** Classify one logical requirements line. */
export function parseRequirementLine(input: string): RequirementLine {
  const line = input.trim();
  if (!line) return { type: "empty" };
  const include = optionValue(line, "-r", "--requirement");
  if (include !== undefined) return checkedPath(include, "include");
  const constraint = optionValue(line, "-c", "--constraint");
  if (constraint !== undefined) return checkedPath(constraint, "constraint");
  if (EDITABLE_SELF.test(line)) return { type: "skip", note: `skipped "${line}": the checkout itself is on the test path` };
  try {
    const requirement = parseRequirement(line.replace(HASH_OPTION, ""));
    if (requirement.name === "django") return { type: "skip", note: `dropped "${line}": the cell's Django version is installed instead` };
    return { type: "requirement", name: requirement.name, spec: formatRequirement(requirement) };
  } catch (error) {
    if (!(error instanceof RequirementSyntaxError)) throw error;
    return { type: "invalid", reason: error.message };
  }
}

function checkedPath(path: string, type: "include" | "constraint"): RequirementLine {
  if (!/^[A-Za-z0-9._/-]+$/.test(path)) return { type: "invalid", reason: `"${path}": an included file's path may hold only letters, digits, ".", "_", "-" and "/"` };
  return { type, path };
}

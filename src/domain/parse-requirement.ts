import { valid, validRange } from "@renovatebot/pep440";
import { parsePipRequirementsLine, type EnvironmentMarker, type Requirement as ParsedLine } from "pip-requirements-js";
import { normalizeName } from "./normalize-name.js";

export { normalizeName };

/**
 * A PEP 508 requirement reduced to what an offline, binary-only install may
 * use: a project name, extras, version specifiers and an environment marker.
 * Never a URL, a path or a pip option. Built only by {@link parseRequirement};
 * {@link formatRequirement} writes it back in one canonical spelling, and that
 * spelling is the only form of a repository's requirement the host's pip sees.
 */
export interface Requirement {
  /** PEP 503-normalised project name: "factory-boy". */
  name: string;
  /** Normalised, sorted, deduplicated. */
  extras: string[];
  /** In the order written. */
  specifiers: { operator: SpecifierOperator; version: string }[];
  /** Re-serialised marker ("python_version < \"3.11\""), when there is one. */
  marker?: string;
}

export type SpecifierOperator = "==" | "!=" | "<=" | ">=" | "<" | ">" | "~=";

/** Why a requirement was refused; `message` says what to write instead. */
export class RequirementSyntaxError extends Error {
  override name = "RequirementSyntaxError";
}

/** The longest requirement accepted (pip's own lines are far shorter). */
export const MAX_REQUIREMENT_LENGTH = 1000;

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const ARCHIVE = /\.(whl|zip|tar|tgz|tbz|txz|tlz|tar\.gz|tar\.bz2|tar\.xz|tar\.lz)$/i;
const OPERATORS: ReadonlySet<string> = new Set(["==", "!=", "<=", ">=", "<", ">", "~="]);
/** PEP 508 marker variables (the deprecated dotted spellings are not accepted). */
const MARKER_VARIABLES: ReadonlySet<string> = new Set([
  "python_version",
  "python_full_version",
  "os_name",
  "sys_platform",
  "platform_release",
  "platform_system",
  "platform_version",
  "platform_machine",
  "platform_python_implementation",
  "implementation_name",
  "implementation_version",
  "extra",
]);
const MARKER_OPERATORS: ReadonlySet<string> = new Set(["<", "<=", "==", "!=", ">=", ">", "~=", "===", "in", "not in"]);
/**
 * A marker's string value: printable ASCII without quotes, backslashes, `$`,
 * `{` or `}`. PEP 508 allows the last three, but pip and uv expand `${VAR}`
 * in the requirement and constraint files they read: a value holding one
 * would make host pip print the host's variable (HTTPS_PROXY and its
 * password) in its error, into the cell's public log.
 */
const MARKER_VALUE = /^[\x20\x21\x23\x25\x26\x28-\x5b\x5d-\x7a\x7c\x7e]*$/;
/** What a tool reading a requirement line might expand: never in a line written for it. */
const EXPANDABLE = /[${}]/;


/**
 * Parse one requirement strictly. Checked here, before any parsing, because
 * they are what lets one line become several to pip: printable ASCII only
 * (Python's `splitlines()`, which pip uses, breaks at \x1c \x1d \x1e \x85
 * \u2028 \u2029 and every other control character; JavaScript's `\s` and
 * `split("\n")` do not). The grammar itself comes from pip-requirements-js
 * (an Ohm grammar of pip's requirement lines); what it accepts is then
 * narrowed to an allowlist: a name-based requirement (no `@ url`), PEP 440
 * versions under the seven ordinary operators (no `===`), marker variables
 * from PEP 508 and plain string values.
 * @throws RequirementSyntaxError saying what is wrong.
 */
export function parseRequirement(text: string): Requirement {
  if (text.length > MAX_REQUIREMENT_LENGTH) throw new RequirementSyntaxError(`a requirement longer than ${MAX_REQUIREMENT_LENGTH} characters is not accepted`);
  const bad = /[^\x20-\x7e]/.exec(text);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).padStart(4, "0");
    throw new RequirementSyntaxError(`character U+${code.toUpperCase()} is not allowed in a requirement (only printable ASCII)`);
  }
  const line = text.trim();
  if (line === "") throw new RequirementSyntaxError("empty requirement");
  if (line.startsWith("-")) throw new RequirementSyntaxError(`pip options ("${line}") are not accepted: Pony CI installs released wheels from the operator's index`);
  let parsed: ParsedLine | null;
  try {
    parsed = parsePipRequirementsLine(line);
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^Failed to parse requirements line\.\s*/, "").split("\n")[0] : "";
    throw new RequirementSyntaxError(`"${line}" is not a PEP 508 requirement${detail ? ` (${detail})` : ""}`);
  }
  if (!parsed) throw new RequirementSyntaxError("empty requirement");
  if (parsed.type === "ProjectURL") {
    throw new RequirementSyntaxError(`"${line}" is a direct reference (name @ URL): only released versions from the index are installed; pin one instead`);
  }
  if (parsed.type !== "ProjectName") {
    throw new RequirementSyntaxError(`"${line}" is not a requirement (only name, extras, versions and a marker are accepted)`);
  }
  if (!NAME.test(parsed.name)) throw new RequirementSyntaxError(`"${parsed.name}" is not a valid project name`);
  // pip takes a name that looks like an archive for a file name (and opens it, when it exists).
  if (ARCHIVE.test(parsed.name)) throw new RequirementSyntaxError(`"${parsed.name}" looks like a file name: only released versions from the index are installed`);
  const extras = [...new Set((parsed.extras ?? []).map((extra) => {
    if (!NAME.test(extra)) throw new RequirementSyntaxError(`"${extra}" is not a valid extra name`);
    return normalizeName(extra);
  }))].sort();
  const specifiers = (parsed.versionSpec ?? []).map(({ operator, version }) => {
    if (!OPERATORS.has(operator)) throw new RequirementSyntaxError(`version operator "${operator}" is not accepted (use ==, !=, <=, >=, <, > or ~=)`);
    checkVersion(operator as SpecifierOperator, version);
    return { operator: operator as SpecifierOperator, version };
  });
  const marker = parsed.environmentMarkerTree ? formatMarker(parsed.environmentMarkerTree, true) : undefined;
  return { name: normalizeName(parsed.name), extras, specifiers, marker };
}

/** The one canonical spelling: `name[extras]spec,spec; marker`. */
export function formatRequirement(requirement: Requirement): string {
  const extras = requirement.extras.length ? `[${requirement.extras.join(",")}]` : "";
  const specifiers = requirement.specifiers.map((s) => `${s.operator}${s.version}`).join(",");
  const line = `${requirement.name}${extras}${specifiers}${requirement.marker ? `; ${requirement.marker}` : ""}`;
  // Every part was checked on its own; this is the last word for whatever builds a Requirement by hand.
  if (EXPANDABLE.test(line)) throw new RequirementSyntaxError(`"${line}" holds $, { or }, which pip and uv would expand from the host's environment`);
  return line;
}

/** parseRequirement then formatRequirement. */
export function normalizeRequirement(text: string): string {
  return formatRequirement(parseRequirement(text));
}

function checkVersion(operator: SpecifierOperator, version: string): void {
  const wildcard = version.endsWith(".*");
  if (wildcard && operator !== "==" && operator !== "!=") throw new RequirementSyntaxError(`"${operator}${version}": a .* version is only allowed after == or !=`);
  const bare = wildcard ? version.slice(0, -2) : version;
  if (!/^[A-Za-z0-9.!+_-]+$/.test(bare) || valid(bare) === null) throw new RequirementSyntaxError(`"${version}" is not a PEP 440 version`);
  if (wildcard && bare.includes("+")) throw new RequirementSyntaxError(`"${version}": a local version cannot end in .*`);
  if (bare.includes("+") && operator !== "==" && operator !== "!=") throw new RequirementSyntaxError(`"${operator}${version}": a local version is only allowed after == or !=`);
  if (operator === "~=" && !/\d\.\d/.test(bare.replace(/^\d+!/, ""))) throw new RequirementSyntaxError(`"~=${version}" needs at least two release numbers, e.g. ~=1.4`);
  if (!validRange(`${operator}${version}`)) throw new RequirementSyntaxError(`"${operator}${version}" is not a PEP 440 version specifier`);
}

/** Every sub-expression parenthesised, every value double-quoted: precedence survives re-serialisation. */
export function formatMarker(node: EnvironmentMarker, top: boolean): string {
  const { operator } = node;
  if (operator === "and" || operator === "or") {
    const branch = node as { left: EnvironmentMarker; right: EnvironmentMarker };
    const inner = `${formatMarker(branch.left, false)} ${operator} ${formatMarker(branch.right, false)}`;
    return top ? inner : `(${inner})`;
  }
  const leaf = node as { left: string; operator: string; right: string };
  if (!MARKER_OPERATORS.has(operator)) throw new RequirementSyntaxError(`marker operator "${operator}" is not accepted`);
  const left = formatMarkerOperand(leaf.left);
  const right = formatMarkerOperand(leaf.right);
  return `${left} ${operator} ${right}`;
}

function formatMarkerOperand(operand: string): string {
  const quoted = /^(["'])(.*)\1$/s.exec(operand);
  if (quoted) {
    const value = quoted[2] ?? "";
    if (!MARKER_VALUE.test(value)) throw new RequirementSyntaxError(`marker value ${operand} has characters that are not accepted`);
    return `"${value}"`;
  }
  if (!MARKER_VARIABLES.has(operand)) throw new RequirementSyntaxError(`"${operand}" is not a PEP 508 marker variable`);
  return operand;
}

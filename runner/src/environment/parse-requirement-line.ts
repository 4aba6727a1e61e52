/**
 * One logical line of a pip requirements file (comments stripped, `\`
 * continuations joined), classified for an offline install:
 * - `requirement`: a PEP 508 spec from the index, normalised (`spec`) with its
 *   normalised project `name`;
 * - `include` / `constraint`: `-r file` / `-c file`, path as written;
 * - `skip`: something an offline install cannot or must not use (editable,
 *   VCS, URL or local-path installs, index options, Django itself), with the
 *   reason in `note`;
 * - `empty`: nothing on the line.
 */
export type RequirementLine =
  | { type: "requirement"; name: string; spec: string }
  | { type: "include" | "constraint"; path: string }
  | { type: "skip"; note: string }
  | { type: "empty" };

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$/s;
const VCS = /^(git|hg|svn|bzr)\+/i;
/** Per-requirement options pip allows after a spec; dropped (hash mode would need every pin hashed). */
const TRAILING_OPTIONS = /\s+--(hash|global-option|install-option|config-settings|config-setting)(=|\s+)\S+/g;

/** PEP 503 name normalisation: "Factory_Boy" → "factory-boy". */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** Remove a comment (`#` at the start or after whitespace) from one physical line. */
export function stripComment(line: string): string {
  const m = /(^|\s)#/.exec(line);
  return (m ? line.slice(0, m.index) : line).trim();
}

/** Join `\` continuations and strip comments: the logical lines of a requirements file. */
export function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = stripComment(raw);
    if (raw.trimEnd().endsWith("\\") && !/(^|\s)#/.test(raw)) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    out.push((pending + line).trim());
    pending = "";
  }
  if (pending.trim()) out.push(pending.trim());
  return out.filter((l) => l.length > 0);
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
  if (include !== undefined) return { type: "include", path: include };
  const constraint = optionValue(line, "-c", "--constraint");
  if (constraint !== undefined) return { type: "constraint", path: constraint };
  if (/^(-e|--editable)(\s|=|$)/.test(line)) {
    return { type: "skip", note: `skipped editable install "${line}": the offline install cannot fetch or build it (the checkout itself is on the test path)` };
  }
  if (line.startsWith("-")) return { type: "skip", note: `ignored pip option "${line}": environments are installed from PyPI wheels` };
  if (VCS.test(line) || line.includes("://") || /^file:/i.test(line)) {
    return { type: "skip", note: `skipped "${line}": VCS and URL installs cannot be fetched for an offline install; pin a released version instead` };
  }
  if (/^[./~]/.test(line) || /\.(whl|zip|tar\.gz|tgz|tar\.bz2)$/i.test(line) || /^[A-Za-z]:\\/.test(line)) {
    return { type: "skip", note: `skipped local path "${line}": only packages from the index can be installed offline` };
  }
  const spec = line.replace(TRAILING_OPTIONS, "").trim();
  const m = NAME.exec(spec);
  if (!m || !m[1]) return { type: "skip", note: `skipped "${line}": not a requirement pip understands` };
  const name = normalizeName(m[1]);
  const rest = (m[3] ?? "").trim();
  if (rest.startsWith("@")) {
    return { type: "skip", note: `skipped "${line}": direct references cannot be fetched for an offline install; pin a released version instead` };
  }
  if (name === "django") return { type: "skip", note: `dropped "${line}": the cell's Django version is installed instead` };
  const extras = m[2]
    ? `[${m[2]
        .slice(1, -1)
        .split(",")
        .map((e) => normalizeName(e.trim()))
        .filter(Boolean)
        .sort()
        .join(",")}]`
    : "";
  if (rest && !/^(;|[<>=!~(])/.test(rest)) return { type: "skip", note: `skipped "${line}": not a requirement pip understands` };
  return { type: "requirement", name, spec: name + extras + normalizeRest(rest) };
}

/** Version specifiers without spaces; a marker after "; " kept with single spaces. */
function normalizeRest(rest: string): string {
  if (!rest) return "";
  const semi = rest.indexOf(";");
  const versions = (semi === -1 ? rest : rest.slice(0, semi)).replace(/[\s()]/g, "");
  const marker = semi === -1 ? "" : rest.slice(semi + 1).trim().replace(/\s+/g, " ");
  return versions + (marker ? `; ${marker}` : "");
}

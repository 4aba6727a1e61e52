import { parsePipRequirementsLine, type EnvironmentMarker } from "pip-requirements-js";
import { formatMarker, formatRequirement, normalizeName, parseRequirement, RequirementSyntaxError } from "../../../../src/domain/parse-requirement.js";

/** The longest METADATA file read (Django's own is 4 KiB; the description is skipped). */
export const MAX_METADATA_BYTES = 1024 * 1024;
/** Most Requires-Dist / Provides-Extra lines kept. */
export const MAX_METADATA_ENTRIES = 2000;

/** What Pony CI takes from a project's core metadata (PEP 566 / 643), every value re-serialised. */
export interface CoreMetadata {
  /** PEP 503-normalised. */
  name: string;
  /** Requirements, re-serialised (`coverage>=7; extra == "testing"`), in the order declared. */
  requiresDist: string[];
  /** Normalised extra names. */
  providesExtra: string[];
  /** Requires-Dist lines refused (a URL, a path) and why. */
  refused: string[];
}

/**
 * Parse a METADATA file (RFC 822 headers, as `email.parser` reads them) a
 * repository's build backend wrote: untrusted, so bounded (MAX_METADATA_BYTES,
 * MAX_METADATA_ENTRIES), printable ASCII values only, and every
 * Requires-Dist parsed strictly (parseRequirement) and re-serialised; a line
 * that is not a plain requirement is refused (named in `refused`), never
 * passed on. The body (the long description) is not read. Pure.
 * @throws Error when the text is too long, has no Name, or a name or extra is malformed.
 */
export function parseCoreMetadata(text: string): CoreMetadata {
  if (text.length > MAX_METADATA_BYTES) throw new Error(`METADATA is longer than ${MAX_METADATA_BYTES} bytes`);
  const headers: [string, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break; // the body
    if (/^[ \t]/.test(line) && headers.length > 0) {
      headers[headers.length - 1]![1] += ` ${line.trim()}`;
      continue;
    }
    const m = /^([A-Za-z0-9-]+):[ \t]*(.*)$/.exec(line);
    if (!m) throw new Error(`METADATA has a line that is not a header: ${JSON.stringify(line.slice(0, 80))}`);
    headers.push([m[1]!.toLowerCase(), m[2]!.trim()]);
    if (headers.length > 4 * MAX_METADATA_ENTRIES) throw new Error("METADATA has too many headers");
  }
  const name = headers.find(([key]) => key === "name")?.[1];
  if (!name || !/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) throw new Error(`METADATA has no valid Name (${JSON.stringify((name ?? "").slice(0, 80))})`);
  const requiresDist: string[] = [];
  const providesExtra: string[] = [];
  const refused: string[] = [];
  for (const [key, value] of headers) {
    if (key === "provides-extra") {
      if (!/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(value)) throw new Error(`METADATA: Provides-Extra ${JSON.stringify(value.slice(0, 80))} is not a valid extra name`);
      if (providesExtra.length >= MAX_METADATA_ENTRIES) throw new Error(`METADATA has more than ${MAX_METADATA_ENTRIES} extras`);
      providesExtra.push(normalizeName(value));
    } else if (key === "requires-dist") {
      if (requiresDist.length >= MAX_METADATA_ENTRIES) throw new Error(`METADATA has more than ${MAX_METADATA_ENTRIES} requirements`);
      try {
        requiresDist.push(formatRequirement(parseRequirement(value)));
      } catch (error) {
        if (!(error instanceof RequirementSyntaxError)) throw error;
        refused.push(`${JSON.stringify(value.slice(0, 200))}: ${error.message}`);
      }
    }
  }
  return { name: normalizeName(name), requiresDist, providesExtra: [...new Set(providesExtra)], refused };
}

/**
 * The requirements installing the project with `extras` installs: its
 * dependencies (no `extra` in the marker) and those of each extra, with the
 * `extra == …` comparisons decided and dropped from the marker (what is left
 * is for the target's installer to evaluate). A requirement on the project
 * itself with extras (`mypkg[docs]; extra == "dev"`) adds those extras, as
 * pip does; it is never installed from the index. Also says which of the
 * extras the project does not provide. Pure; the requirements must come from
 * parseCoreMetadata (already re-serialised).
 */
export function requirementsForExtras(metadata: CoreMetadata, extras: readonly string[]): { requirements: string[]; missing: string[] } {
  const wanted = new Set(extras.map(normalizeName));
  const missing = [...wanted].filter((extra) => !metadata.providesExtra.includes(extra));
  for (let round = 0; round < 10; round++) {
    const before = wanted.size;
    for (const line of metadata.requiresDist) {
      const selected = selectForExtras(line, wanted);
      if (selected?.name === metadata.name) for (const extra of selected.extras) wanted.add(extra);
    }
    if (wanted.size === before) break;
  }
  const requirements: string[] = [];
  for (const line of metadata.requiresDist) {
    const selected = selectForExtras(line, wanted);
    if (!selected || selected.name === metadata.name) continue;
    const spec = formatRequirement(selected);
    if (!requirements.includes(spec)) requirements.push(spec);
  }
  return { requirements, missing };
}

/** The requirement with its `extra` comparisons decided for `wanted`; undefined when its marker excludes it. */
function selectForExtras(line: string, wanted: ReadonlySet<string>): ReturnType<typeof parseRequirement> | undefined {
  const requirement = parseRequirement(line);
  if (!requirement.marker) return requirement;
  const parsed = parsePipRequirementsLine(line);
  const tree = parsed?.type === "ProjectName" ? parsed.environmentMarkerTree : undefined;
  if (!tree) return requirement;
  const decided = decideExtra(tree, wanted);
  if (decided === false) return undefined;
  return { ...requirement, marker: decided === true ? undefined : formatMarker(decided, true) };
}

/** Replace each `extra` comparison by its truth for `wanted`, and fold and/or around the constants. */
function decideExtra(node: EnvironmentMarker, wanted: ReadonlySet<string>): EnvironmentMarker | boolean {
  if (node.operator === "and" || node.operator === "or") {
    const branch = node as { operator: "and" | "or"; left: EnvironmentMarker; right: EnvironmentMarker };
    const left = decideExtra(branch.left, wanted);
    const right = decideExtra(branch.right, wanted);
    if (branch.operator === "and") {
      if (left === false || right === false) return false;
      if (left === true) return right;
      if (right === true) return left;
    } else {
      if (left === true || right === true) return true;
      if (left === false) return right;
      if (right === false) return left;
    }
    return { operator: branch.operator, left, right } as EnvironmentMarker;
  }
  const leaf = node as { left: string; operator: string; right: string };
  const unquote = (operand: string) => /^(["'])(.*)\1$/s.exec(operand)?.[2];
  const value = leaf.left === "extra" ? unquote(leaf.right) : leaf.right === "extra" ? unquote(leaf.left) : undefined;
  if (value === undefined) return node;
  if (leaf.operator === "==") return wanted.has(normalizeName(value));
  if (leaf.operator === "!=") return !wanted.has(normalizeName(value));
  return false; // `extra in …` and the like: pip compares extras by equality only
}

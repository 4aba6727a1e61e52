import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from "ajv";
import { isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import { MAX_YAML_ALIASES, type YamlDocument } from "./read-yaml-document.js";

/** What a value breaks in a schema: a message (the schema's own `errorMessage` where it has one) and where. */
export interface SchemaProblem {
  message: string;
  line: number;
  column: number;
  /** The JSON Pointer of the value (ajv's instancePath). */
  path: string;
  /** An unknown key's name (the problem is that key): readers may add a hint of their own ("did you mean"). */
  unknownKey?: string;
}

/** A check of parsed YAML against one JSON Schema. */
export type SchemaCheck = (yaml: YamlDocument) => SchemaProblem | undefined;

/**
 * Compiles `schema` (JSON Schema draft-07, checked by ajv, the maintained
 * validator) into a check of a YAML document. Its problem is placed at the
 * YAML node of the offending value: ajv's instancePath is walked through
 * the document (aliases followed) to the node, whose line the `yaml`
 * package knows; an unknown key is placed at the key itself. The message
 * is the failing subschema's `errorMessage` (a keyword editors show too;
 * `{value}` stands for the value as written), else ajv's. Of several
 * problems the most specific (deepest) comes first, then the earliest.
 * Compiled on first use, not at import.
 */
export function createSchemaCheck(schema: AnySchema): SchemaCheck {
  let validate: ValidateFunction | undefined;
  return (yaml) => {
    validate ??= compile(schema);
    const value: unknown = yaml.doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    if (validate(value)) return undefined;
    const problems = (validate.errors ?? []).map((error) => describe(error, yaml));
    problems.sort((a, b) => b.depth - a.depth || Number(b.specific) - Number(a.specific) || a.line - b.line || a.column - b.column);
    const best = problems[0];
    return best && { message: best.message, line: best.line, column: best.column, path: best.path, ...(best.unknownKey !== undefined ? { unknownKey: best.unknownKey } : {}) };
  };
}

function compile(schema: AnySchema): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictTuples: false });
  // An annotation ajv need not act on: describe() reads it from the failing subschema (VS Code's JSON service shows it too).
  ajv.addKeyword({ keyword: "errorMessage", schemaType: "string" });
  return ajv.compile(schema);
}

function describe(error: ErrorObject, yaml: YamlDocument): SchemaProblem & { depth: number; specific: boolean } {
  const segments = error.instancePath === "" ? [] : error.instancePath.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const { node, key } = nodeAt(yaml, segments);
  const parent = error.parentSchema as { errorMessage?: string } | undefined;
  const written = node && isScalar(node) ? (node.source ?? String(node.value)) : undefined;
  // A message about "{value}" said of a list, a mapping or nothing names what was written instead, and yields to a message about the whole.
  const kind = isSeq(node) ? "a list" : isMap(node) ? "a mapping" : "an empty value";
  let at: Node | null = node ?? key;
  let message: string;
  let unknownKey: string | undefined;
  let specific = Boolean(parent?.errorMessage) && (written !== undefined || !parent?.errorMessage?.includes("{value}"));
  if (error.propertyName !== undefined) {
    at = keyNodeIn(yaml, node, error.propertyName) ?? at;
    message = `\`${error.propertyName}\`${where(segments)} is not a valid name: use letters, digits and _ (and - in include)`;
    specific = true;
  } else if (error.keyword === "additionalProperties") {
    unknownKey = String((error.params as { additionalProperty: string }).additionalProperty);
    at = keyNodeIn(yaml, node, unknownKey) ?? at;
    const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    message = `unknown key \`${unknownKey}\`${where(segments)}${known.length > 0 ? `: the keys are ${known.join(", ")}` : ""}`;
    specific = true;
  } else if (error.keyword === "uniqueItems" && isSeq(node)) {
    // At the later copy, which is the one to remove.
    const { i, j } = error.params as { i: number; j: number };
    const item = yaml.resolve(node.items[Math.max(i, j)] as Node | null | undefined);
    at = item ?? at;
    const named = segments.filter((s) => !/^\d+$/.test(s)).join(".");
    message = `${named ? `\`${named}:\`` : "the list"} lists ${item && isScalar(item) ? `"${String(item.value)}"` : "an item"} twice: remove the duplicate`;
    specific = true;
  } else if (error.keyword === "required") {
    const missing = String((error.params as { missingProperty: string }).missingProperty);
    message = `\`${missing}:\` is missing${parent?.errorMessage ? `: ${parent.errorMessage}` : where(segments)}`;
  } else if (parent?.errorMessage) {
    message = parent.errorMessage.replace(/"\{value\}"/g, written === undefined ? kind : `"${written}"`).replace(/\{value\}/g, written ?? kind);
  } else {
    const named = segments.filter((s) => !/^\d+$/.test(s));
    message = `${named.length > 0 ? `\`${named.join(".")}\`` : "the file"} ${error.message ?? "is not valid"}`;
  }
  const { line, column } = yaml.positionOf(at);
  return { message, line, column, path: error.instancePath, depth: segments.length + (error.keyword === "additionalProperties" || error.propertyName !== undefined || error.keyword === "uniqueItems" ? 1 : 0), specific, ...(unknownKey !== undefined ? { unknownKey } : {}) };
}

function where(segments: readonly string[]): string {
  return segments.length === 0 ? "" : ` in \`${segments.filter((s) => !/^\d+$/.test(s)).join(".")}\``;
}

/** The value node at `segments` (null for an absent value) and the key node that names it. */
function nodeAt(yaml: YamlDocument, segments: readonly string[]): { node: Node | null; key: Node | null } {
  let node: Node | null = yaml.resolve(yaml.doc.contents as Node | null);
  let key: Node | null = null;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === segment);
      key = (pair?.key as Node | null | undefined) ?? key;
      node = yaml.resolve(pair?.value as Node | null | undefined);
    } else if (isSeq(node)) {
      node = yaml.resolve(node.items[Number(segment)] as Node | null | undefined);
    } else {
      break;
    }
  }
  return { node, key };
}

function keyNodeIn(yaml: YamlDocument, map: Node | null, name: string): Node | null {
  if (!isMap(map)) return null;
  const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
  return (pair?.key as Node | null | undefined) ?? null;
}

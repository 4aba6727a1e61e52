/**
 * GitHub's REST request-body schemas, for keeping our fakes honest.
 *
 * The source is `@octokit/openapi` (GitHub's own spec, dereferenced). We
 * require `generated/api.github.com.deref.json` directly: the package index
 * loads every GitHub variant (about 0.9 GB of RSS). Even the one file costs
 * about 0.8 s and 250 MB per jest worker, so the first process that needs it
 * extracts every operation's JSON request-body schema (about 0.5 MB in all)
 * into a cache file under `os.tmpdir()`, keyed by the package version and
 * the format below; every later process reads only that small file.
 *
 * The extracted schemas are tightened with limits GitHub documents (or
 * enforces) but the spec does not encode as keywords:
 * - "The maximum size is N characters" in a string's description → `maxLength`;
 * - "The maximum size is N KB" → at most N × 1024 UTF-8 bytes;
 * - check-run `output.summary` / `output.text`: GitHub counts 65535 *bytes*,
 *   not characters ("summary exceeds a maximum bytesize of 65535":
 *   https://github.com/github/docs/issues/35252,
 *   https://github.com/dorny/test-reporter/issues/57).
 */
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

/** Bump when the extraction or tightening below changes: old caches are then ignored. */
const CACHE_FORMAT = 2;
const MAX_BYTES_KEYWORD = "x-ponyci-max-utf8-bytes";
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type JsonSchema = Record<string, unknown>;

/** One operation's request body as the spec describes it. */
interface RequestBodySpec {
  required: boolean;
  /** JSON schema of `application/json` bodies; null when the operation takes no JSON body. */
  schema: JsonSchema | null;
}

/** Cache file content: "POST /repos/{owner}/{repo}/check-runs" → its body spec. */
type RequestBodyIndex = Record<string, RequestBodySpec>;

const require = createRequire(import.meta.url);
let index: RequestBodyIndex | undefined;
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction | null>();

/** "post", "/repos/{owner}/{repo}/check-runs" → "POST /repos/{owner}/{repo}/check-runs". */
function operationKey(method: string, pathTemplate: string): string {
  return `${method.toUpperCase()} ${pathTemplate}`;
}

/** Path of the schema cache for the installed `@octokit/openapi` version. */
export function schemaCachePath(): string {
  const pkgPath = require.resolve("@octokit/openapi/package.json");
  const { version } = JSON.parse(readFileSync(pkgPath, "utf8")) as { version: string };
  return join(tmpdir(), "ponyci-github-schemas", `openapi-${version}-request-bodies-v${CACHE_FORMAT}.json`);
}

/** Adds documented-but-unencoded limits to a schema tree, in place. */
function tightenSchema(node: unknown, propertyPath: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) tightenSchema(item, propertyPath);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const schema = node as JsonSchema;
  if (schema.type === "string" && typeof schema.description === "string") {
    const chars = /maximum size is (\d+) characters/i.exec(schema.description);
    if (chars?.[1] && schema.maxLength === undefined) schema.maxLength = Number(chars[1]);
    const kb = /maximum size is (\d+) KB/i.exec(schema.description);
    if (kb?.[1]) schema[MAX_BYTES_KEYWORD] = Number(kb[1]) * 1024;
  }
  const parent = propertyPath.at(-1);
  if (parent === "output" && schema.type === "object" && schema.properties) {
    const props = schema.properties as Record<string, JsonSchema>;
    for (const field of ["summary", "text"]) {
      const prop = props[field];
      if (prop?.maxLength === 65535) prop[MAX_BYTES_KEYWORD] = 65535;
    }
  }
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && value && typeof value === "object") {
      for (const [name, child] of Object.entries(value as JsonSchema)) tightenSchema(child, [...propertyPath, name]);
    } else if (key !== "examples" && key !== "example") {
      tightenSchema(value, propertyPath);
    }
  }
}

/** Reads the whole spec (slow, large) and keeps only the request bodies. */
function extractRequestBodies(): RequestBodyIndex {
  const spec = require("@octokit/openapi/generated/api.github.com.deref.json") as {
    paths: Record<string, Record<string, { requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> } }>>;
  };
  const result: RequestBodyIndex = {};
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const schema = operation.requestBody?.content?.["application/json"]?.schema ?? null;
      const copy = schema ? (structuredClone(schema) as JsonSchema) : null;
      if (copy) tightenSchema(copy, []);
      result[operationKey(method, path)] = { required: operation.requestBody?.required ?? false, schema: copy };
    }
  }
  return result;
}

/** The request-body index: from the cache file, or extracted once and cached. */
function loadIndex(): RequestBodyIndex {
  if (index) return index;
  const cachePath = schemaCachePath();
  try {
    index = JSON.parse(readFileSync(cachePath, "utf8")) as RequestBodyIndex;
    return index;
  } catch {
    // No cache yet (or a torn one): extract below.
  }
  index = extractRequestBodies();
  mkdirSync(join(cachePath, ".."), { recursive: true });
  // Write then rename, so a parallel jest worker never reads half a file.
  const partial = `${cachePath}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(index));
  renameSync(partial, cachePath);
  return index;
}

function getAjv(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addKeyword({
    keyword: MAX_BYTES_KEYWORD,
    type: "string",
    schemaType: "number",
    error: { message: (cxt) => `must NOT have more than ${String(cxt.schema)} UTF-8 bytes` },
    validate: (max: number, data: string) => Buffer.byteLength(data, "utf8") <= max,
  });
  return ajv;
}

/** True when GitHub's spec has this operation. */
export function hasOperation(method: string, pathTemplate: string): boolean {
  return operationKey(method, pathTemplate) in loadIndex();
}

function getValidator(method: string, pathTemplate: string): { spec: RequestBodySpec; validate: ValidateFunction | null } {
  const key = operationKey(method, pathTemplate);
  const spec = loadIndex()[key];
  if (!spec) {
    throw new Error(`${key} is not an operation in GitHub's REST spec: check the method and the path template (e.g. "/repos/{owner}/{repo}/check-runs").`);
  }
  let validate = validators.get(key);
  if (validate === undefined) {
    validate = spec.schema ? getAjv().compile(spec.schema) : null;
    validators.set(key, validate);
  }
  return { spec, validate };
}

function formatError(error: ErrorObject): string {
  const where = error.instancePath || "(body)";
  const extra = error.keyword === "enum" ? ` ${JSON.stringify((error.params as { allowedValues?: unknown }).allowedValues)}` : "";
  return `${where} ${error.message ?? error.keyword}${extra}`;
}

/**
 * Checks a request body against GitHub's schema for (method, path template).
 * Returns ajv's errors as readable lines ("/output/annotations must NOT have
 * more than 50 items"); empty when the body is valid. `undefined` (or "")
 * stands for "no body". Throws if the operation is not in the spec.
 */
export function validateRequestBody(method: string, pathTemplate: string, body: unknown): string[] {
  const { spec, validate } = getValidator(method, pathTemplate);
  const noBody = body === undefined || body === "";
  if (noBody) return spec.required ? ["(body) is required"] : [];
  if (!validate) return ["(body) this operation takes no JSON body"];
  if (validate(body)) return [];
  return (validate.errors ?? []).map(formatError);
}

/**
 * Throws (with every ajv error in the message) unless `body` is a valid
 * request body for `method pathTemplate` in GitHub's REST spec.
 */
export function assertValidRequestBody(method: string, pathTemplate: string, body: unknown): void {
  const errors = validateRequestBody(method, pathTemplate, body);
  if (errors.length > 0) {
    throw new Error(`${operationKey(method, pathTemplate)}: body does not match GitHub's schema:\n  ${errors.join("\n  ")}`);
  }
}

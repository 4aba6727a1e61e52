import { readNotifyKey } from "./read-notify-key.js";
import { isMap, isScalar, isSeq, type Node, type Scalar } from "yaml";
import { MAX_YAML_ALIASES, readYamlDocument, YamlDocumentError, type YamlDocument } from "../../config/read-yaml-document.js";
import { createSchemaCheck } from "../../config/check-against-schema.js";
import { repoConfigSchema } from "./repo-config-schema.js";
import type { MatrixEntry, MatrixLines, MatrixSpec } from "../matrix/expand-matrix.js";
import { createDefaultRepoConfig, maxTimeoutSeconds, repoConfigPaths, type RepoConfig } from "./repo-config.js";
import { RepoConfigError } from "./repo-config-error.js";
import { readTestPolicyKey, testPolicyKeys, type NodeTools } from "./read-test-policy-keys.js";
import { checkServiceArgs, serviceNames, type DatabaseName, type ServiceName, type ServiceSpec } from "../../domain/database.js";
import { parseDatabaseName } from "../matrix/parse-database-name.js";
import { readSchedule } from "./read-schedule.js";

/** Options for {@link parseRepoConfig}. */
export interface ParseRepoConfigOptions {
  /** Path reported in errors; defaults to ".github/ponyci.yml". */
  file?: string;
}

const knownKeys = ["python", "django", "database", "include", "exclude", "test", "install", "env", "timeout", "services", ...testPolicyKeys, "notify", "schedule"] as const;

/** Hints for keys people write by habit from other CI systems. */
const keyHints: Readonly<Record<string, string>> = {
  matrix: "put python, django, include and exclude at the top level, not under `matrix:`",
  strategy: "put python, django, include and exclude at the top level, not under `strategy:`",
  "timeout-minutes": "use `timeout:` in seconds, e.g. `timeout: 600`",
  timeout_minutes: "use `timeout:` in seconds, e.g. `timeout: 600`",
  script: "use `test:` for the test command",
  run: "use `test:` for the test command",
  command: "use `test:` for the test command",
  deps: "use `install:` for test dependencies",
  requirements: "use `install:` for test dependencies",
  environment: "use `env:` for environment variables",
  databases: "use `database:` for the database axis, e.g. `database: [sqlite, postgres]`",
  db: "use `database:` for the database axis, e.g. `database: [sqlite, postgres]`",
  service: "use `services:` (a list), e.g. `services: [postgres]`",
};

/**
 * Parse the text of `.github/ponyci.yml` (schema: docs/repo-config.md).
 * Pure: validates everything it can without knowing the installation, so the
 * matrix is expanded later by `expandMatrix`. An empty file (or only comments)
 * gives the default settings.
 * @throws RepoConfigError for invalid YAML, unknown keys, wrong types and bad
 *   versions, with the 1-based line of the offending value and how to fix it.
 */
export function parseRepoConfig(text: string, options: ParseRepoConfigOptions = {}): RepoConfig {
  const file = options.file ?? repoConfigPaths[0] ?? ".github/ponyci.yml";
  let yaml: YamlDocument;
  try {
    yaml = readYamlDocument(text);
  } catch (error) {
    if (!(error instanceof YamlDocumentError)) throw error;
    if (error.kind === "aliases") throw new RepoConfigError({ file, message: `${file} uses ${error.problem}.` });
    throw new RepoConfigError({
      file, line: error.line, column: error.column, cause: error.cause,
      message: `${file} is not valid YAML: ${error.problem}. Check the indentation and quoting on line ${error.line}.`,
    });
  }
  // The reader turns nodes into settings, explaining what it refuses; the schema (the contract editors see) must hold too.
  const config = new Reader(file, yaml).readConfig();
  const problem = checkRepoConfig(yaml);
  if (problem) throw new RepoConfigError({ file, line: problem.line, column: problem.column, message: `${file} line ${problem.line}: ${problem.message}.` });
  return config;
}

/** The JSON Schema check of `.github/ponyci.yml`, compiled once. */
const checkRepoConfig = createSchemaCheck(repoConfigSchema);

export { MAX_YAML_ALIASES };

class Reader {
  constructor(
    private readonly file: string,
    private readonly yaml: YamlDocument,
  ) {}

  /** What read-test-policy-keys.ts borrows. */
  private readonly tools: NodeTools = {
    fail: (node, problem) => this.fail(node, problem),
    resolve: (node) => this.resolve(node),
    line: (node) => this.line(node),
  };

  readConfig(): RepoConfig {
    const config = createDefaultRepoConfig();
    config.file = this.file;
    const root = this.yaml.doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) return config;
    if (!isMap(root)) this.fail(root, "the file must be a mapping of settings such as `python:`, `django:` and `test:`");
    const matrix: { -readonly [K in keyof MatrixSpec]: MatrixSpec[K] } = {};
    const lines: { -readonly [K in keyof MatrixLines]: MatrixLines[K] } = {};
    for (const pair of root.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (keyNode === null || key === undefined) this.fail(keyNode ?? root, "every setting needs a plain name as its key");
      const value = this.resolve(pair.value as Node | null) ?? keyNode;
      const valueOrNull = this.resolve(pair.value as Node | null);
      switch (key) {
        case "python":
        case "django":
          matrix[key] = this.readVersionList(valueOrNull, keyNode, key);
          lines[key] = this.line(value);
          break;
        case "database":
          matrix.database = this.readDatabaseList(valueOrNull, keyNode);
          lines.database = this.line(value);
          break;
        case "services":
          config.services = this.readServices(valueOrNull, keyNode);
          break;
        case "include":
        case "exclude": {
          const { entries, entryLines } = this.readEntries(valueOrNull, keyNode, key);
          matrix[key] = entries;
          lines[key] = entryLines;
          break;
        }
        case "test":
          config.test = this.readCommand(valueOrNull, keyNode);
          break;
        case "install":
          config.install = this.readInstall(valueOrNull, keyNode);
          break;
        case "env":
          config.env = this.readEnv(valueOrNull, keyNode);
          break;
        case "timeout":
          config.timeout = this.readTimeout(valueOrNull, keyNode);
          break;
        case "notify":
          config.notify = readNotifyKey(valueOrNull, keyNode, this.tools);
          break;
        case "schedule":
          config.schedule = readSchedule(pair.value as Node | null, keyNode, this.tools);
          break;
        case "quarantine":
        case "already_failing":
        case "confirm_failures":
        case "failed_first":
          readTestPolicyKey(config.tests, key, valueOrNull, keyNode, this.tools);
          break;
        default:
          this.fail(keyNode, `unknown key \`${key}\`: ${suggestKey(key)}`);
      }
    }
    if (Object.keys(matrix).length > 0) config.matrix = { ...matrix, lines };
    return config;
  }

  private readVersionList(node: Node | null, keyNode: Node, axis: "python" | "django"): string[] {
    const example = axis === "python" ? `["3.11", "3.13"]` : `["4.2", "5.2"]`;
    if (node === null) this.fail(keyNode, `\`${axis}:\` has no value: list versions in quotes, e.g. \`${axis}: ${example}\``);
    const items = isSeq(node) ? node.items.map((item) => this.resolve(item as Node | null)) : [node];
    if (items.length === 0) this.fail(node, `\`${axis}: []\` lists no versions: remove the key or list versions, e.g. \`${axis}: ${example}\``);
    const seen = new Set<string>();
    return items.map((item) => {
      const version = this.readVersion(item ?? node, axis);
      if (seen.has(version)) this.fail(item ?? node, `\`${axis}:\` lists "${version}" twice: remove the duplicate`);
      seen.add(version);
      return version;
    });
  }

  private readVersion(node: Node, axis: "python" | "django"): string {
    const example = axis === "python" ? `"3.11"` : `"5.2"`;
    if (!isScalar(node) || node.value === null || typeof node.value === "boolean" || typeof node.value === "object") {
      this.fail(node, `\`${axis}\` versions must be quoted "major.minor" strings, e.g. ${example}`);
    }
    let version: string;
    if (typeof node.value === "number") {
      const written = this.sourceOf(node);
      if (written !== String(node.value)) {
        this.fail(node, `${axis === "python" ? "Python" : "Django"} version ${written} is read by YAML as the number ${String(node.value)}: quote it, e.g. "${written}"`);
      }
      version = written;
    } else {
      version = String(node.value).trim();
    }
    // Python: CPython "3.X", or PyPy as tox and uv name it, "pypy3.X" (src/domain/python-name.ts).
    const pattern = axis === "python" ? /^(pypy)?3\.\d{1,2}$/ : /^\d{1,2}\.\d$/;
    if (!pattern.test(version)) {
      const patch = /^(\d+\.\d+)\.\d+/.exec(version)?.[1];
      const fix = patch ? `use the series "${patch}": the newest patch release is installed` : `write "major.minor" in quotes, e.g. ${example}`;
      this.fail(node, `"${version}" is not a ${axis === "python" ? "Python" : "Django"} version: ${fix}`);
    }
    return version;
  }

  private readEntries(node: Node | null, keyNode: Node, key: "include" | "exclude") {
    const example = `\`${key}: [{python: "3.13", django: "6.0"}]\``;
    if (node === null || !isSeq(node)) this.fail(node ?? keyNode, `\`${key}:\` must be a list of {python, django} mappings, e.g. ${example}`);
    const entries: MatrixEntry[] = [];
    const entryLines: number[] = [];
    for (const raw of node.items) {
      const item = this.resolve(raw as Node | null) ?? node;
      if (!isMap(item)) this.fail(item, `each \`${key}\` entry must be a mapping, e.g. ${example}`);
      if (item.items.length === 0) this.fail(item, `an empty \`${key}\` entry ${key === "include" ? "adds" : "removes"} nothing useful: give python and/or django`);
      const entry: Record<string, string> = {};
      for (const pair of item.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const kNode = (pair.key as Node | null) ?? item;
        const vNode = this.resolve(pair.value as Node | null);
        if (vNode === null) this.fail(kNode, `\`${k ?? "?"}\` in this \`${key}\` entry has no value`);
        if (k === "python" || k === "django") {
          entry[k] = this.readVersion(vNode, k);
        } else if (k === "database") {
          entry[k] = this.readDatabase(vNode);
        } else if (key === "exclude") {
          this.fail(kNode, `\`exclude\` entries match only \`python\`, \`django\` and \`database\`, not \`${k ?? "?"}\``);
        } else {
          if (k === undefined || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k)) this.fail(kNode, `include key \`${k ?? "?"}\` is not a valid name: use letters, digits, - and _`);
          entry[k] = this.readScalarText(vNode, `include value \`${k}\``);
        }
      }
      entries.push(entry);
      entryLines.push(this.line(item));
    }
    return { entries, entryLines };
  }

  private readDatabaseList(node: Node | null, keyNode: Node): DatabaseName[] {
    const fix = "`database:` lists the databases to test on, e.g. `database: [sqlite, postgres]` (known: sqlite, postgres, mariadb)";
    if (node === null) this.fail(keyNode, fix);
    const items = isSeq(node) ? node.items.map((i) => this.resolve(i as Node | null) ?? node) : [node];
    if (items.length === 0) this.fail(node, fix);
    const seen = new Set<DatabaseName>();
    return items.map((item) => {
      const database = this.readDatabase(item);
      if (seen.has(database)) this.fail(item, `\`database:\` lists ${database} twice: remove the duplicate`);
      seen.add(database);
      return database;
    });
  }

  private readDatabase(node: Node): DatabaseName {
    const text = isScalar(node) && typeof node.value === "string" ? node.value.trim() : undefined;
    const database = text === undefined ? undefined : parseDatabaseName(text);
    if (database === undefined) this.fail(node, `database "${text ?? this.sourceOf(node as Scalar)}" is not known: use sqlite, postgres, mariadb or postgis (mysql runs on mariadb)`);
    return database;
  }

  /**
   * `services:` items: "postgres", "postgres:16", or a mapping
   * {name, version, args}; args are server settings, validated here so a bad
   * one is a config error at its line, never something a shell sees.
   */
  private readServices(node: Node | null, keyNode: Node): ServiceSpec[] {
    const fix = "`services:` lists database services, e.g. `services: [postgres]`, `services: [\"postgres:16\", mariadb]` or `- {name: postgres, args: [\"-c\", \"max_connections=200\"]}`";
    if (node === null) this.fail(keyNode, fix);
    const items = isSeq(node) ? node.items.map((i) => this.resolve(i as Node | null) ?? node) : [node];
    const services: ServiceSpec[] = [];
    for (const item of items) {
      let nameText: string;
      let version: string | undefined;
      let args: string[] = [];
      if (isScalar(item) && typeof item.value === "string") {
        [nameText = "", version] = item.value.trim().split(/:(.*)/s);
      } else if (isMap(item)) {
        const fields: Record<string, Node> = {};
        for (const pair of item.items) {
          const k = isScalar(pair.key) ? String(pair.key.value) : "";
          const v = this.resolve(pair.value as Node | null);
          if (!["name", "version", "args"].includes(k)) this.fail((pair.key as Node | null) ?? item, `a service takes \`name\`, \`version\` and \`args\`, not \`${k}\``);
          if (v === null) this.fail((pair.key as Node | null) ?? item, `service \`${k}\` has no value`);
          fields[k] = v;
        }
        if (!fields.name) this.fail(item, `a service mapping needs \`name:\`, e.g. \`{name: postgres}\``);
        nameText = this.readScalarText(fields.name, "service `name`");
        version = fields.version ? this.readScalarText(fields.version, "service `version`") : undefined;
        if (fields.args) {
          const argNodes = isSeq(fields.args) ? fields.args.items.map((i) => this.resolve(i as Node | null) ?? item) : [fields.args];
          // "-c name=value" written as one item is the two argv items postgres takes.
          args = argNodes.flatMap((a) => {
            const text = this.readScalarText(a, "a server argument").trim();
            const pair = /^-c\s+(\S+)$/.exec(text);
            return pair?.[1] ? ["-c", pair[1]] : [text];
          });
        }
      } else {
        this.fail(item, fix);
      }
      const database = parseDatabaseName(nameText);
      if (database === undefined || database === "sqlite") {
        this.fail(item, `unknown service "${nameText}": Pony CI provides ${serviceNames.slice(0, -1).join(", ")} and ${serviceNames.at(-1)} (mysql runs on mariadb)`);
      }
      const name: ServiceName = database;
      if (version !== undefined && !/^\d{1,2}(\.\d{1,2})?$/.test(version)) {
        this.fail(item, `service version "${version}" is not a major or major.minor version, e.g. "16" or "10.11"`);
      }
      if (services.some((s) => s.name === name)) this.fail(item, `\`services:\` lists ${name} twice: list each service once`);
      const problem = checkServiceArgs(name, args);
      if (problem) this.fail(item, `server arguments of ${name}: ${problem}`);
      services.push(version === undefined ? { name, args } : { name, version, args });
    }
    return services;
  }

  private readCommand(node: Node | null, keyNode: Node): string {
    if (node === null || !isScalar(node) || typeof node.value !== "string" || node.value.trim() === "") {
      this.fail(node ?? keyNode, "`test:` must be a shell command string, e.g. `test: \"python manage.py test\"`");
    }
    return node.value.trim();
  }

  private readInstall(node: Node | null, keyNode: Node): string[] {
    const fix = "`install:` must be a list of pip requirement strings, e.g. `install: [\"-r requirements/test.txt\", \"factory-boy\"]`";
    if (node === null) this.fail(keyNode, fix);
    const items = isSeq(node) ? node.items.map((i) => this.resolve(i as Node | null) ?? node) : [node];
    return items.map((item) => {
      if (!isScalar(item) || typeof item.value !== "string" || item.value.trim() === "") this.fail(item, fix);
      return item.value.trim();
    });
  }

  private readEnv(node: Node | null, keyNode: Node): Record<string, string> {
    if (node === null || !isMap(node)) this.fail(node ?? keyNode, "`env:` must be a mapping of NAME: value, e.g. `env: {DJANGO_SETTINGS_MODULE: \"mysite.settings\"}`");
    const env: Record<string, string> = {};
    for (const pair of node.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : "";
      const nameNode = (pair.key as Node | null) ?? node;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) this.fail(nameNode, `env name \`${name}\` is not a valid variable name: use letters, digits and _, not starting with a digit`);
      const valueNode = this.resolve(pair.value as Node | null);
      if (valueNode === null) this.fail(nameNode, `env value \`${name}\` is empty: give it a value, quoted "" for an empty string`);
      env[name] = this.readScalarText(valueNode, `env value \`${name}\``);
    }
    return env;
  }

  private readTimeout(node: Node | null, keyNode: Node): number {
    const fix = `\`timeout:\` is the number of seconds per cell, a whole number from 1 to ${maxTimeoutSeconds}, e.g. \`timeout: 600\``;
    if (node === null || !isScalar(node) || typeof node.value !== "number" || !Number.isInteger(node.value)) this.fail(node ?? keyNode, fix);
    if (node.value < 1 || node.value > maxTimeoutSeconds) this.fail(node, `timeout ${node.value} is out of range: ${fix}`);
    return node.value;
  }

  /** Text of a scalar value; numbers keep the spelling they were written with (0.10 stays "0.10"). */
  private readScalarText(node: Node, what: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === "object") this.fail(node, `${what} must be a single string`);
    if (typeof node.value === "number") return this.sourceOf(node);
    return String(node.value);
  }

  private sourceOf(node: Scalar): string {
    return node.source ?? this.yaml.text.slice(node.range?.[0] ?? 0, node.range?.[1] ?? 0).trim();
  }

  /** The node an alias points to; null for an absent value. */
  private resolve(node: Node | null | undefined): Node | null {
    return this.yaml.resolve(node);
  }

  private line(node: Node): number {
    return this.yaml.positionOf(node).line;
  }

  private fail(node: Node, problem: string): never {
    const { line, column } = this.yaml.positionOf(node);
    throw new RepoConfigError({ file: this.file, line, column, message: `${this.file} line ${line}: ${problem}.` });
  }
}

/** How to fix an unknown top-level key: a known hint, else the closest known key. */
function suggestKey(key: string): string {
  const hint = keyHints[key.toLowerCase()];
  if (hint) return hint;
  const lower = key.toLowerCase();
  const close = knownKeys.find((k) => lower.startsWith(k) || lower.endsWith(k) || distance(lower, k) <= 2);
  const known = `known keys: ${knownKeys.join(", ")}`;
  return close ? `did you mean \`${close}\`? (${known})` : known;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

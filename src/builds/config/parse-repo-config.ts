import { readNotifyKey } from "./read-notify-key.js";
import { isMap, isScalar, isSeq, type Node, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";
import { MAX_YAML_ALIASES, readYamlDocument, YamlDocumentError, type YamlDocument } from "../../config/read-yaml-document.js";
import { createSchemaCheck } from "../../config/check-against-schema.js";
import { repoConfigSchema } from "./repo-config-schema.js";
import type { MatrixEntry, MatrixLines, MatrixSpec } from "../matrix/expand-matrix.js";
import { createDefaultRepoConfig, repoConfigPaths, type RepoConfig } from "./repo-config.js";
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
 * @throws RepoConfigError for invalid YAML, what breaks repoConfigSchema
 *   (unknown keys with a hint, wrong types, bad versions) and what the schema
 *   cannot say (see Reader), with the 1-based line of the offending value
 *   and how to fix it.
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
  // The schema (the contract editors see) is the one description of the file's structure: checked first, its
  // problems at their line. The reader then only converts, and checks what a schema cannot say.
  const problem = checkRepoConfig(yaml);
  if (problem) {
    const message = problem.unknownKey !== undefined && problem.path === "" ? `unknown key \`${problem.unknownKey}\`: ${suggestKey(problem.unknownKey)}` : problem.message;
    throw new RepoConfigError({ file, line: problem.line, column: problem.column, message: `${file} line ${problem.line}: ${message}.` });
  }
  return new Reader(file, yaml).readConfig();
}

/** The JSON Schema check of `.github/ponyci.yml`, compiled once. */
const checkRepoConfig = createSchemaCheck(repoConfigSchema);

export { MAX_YAML_ALIASES };

/**
 * Turns the nodes of a file that passed repoConfigSchema into settings. What
 * it still refuses is what the schema cannot say: a version YAML read as a
 * number (3.10 as 3.1), the same version or database written two ways,
 * a service's server arguments, a service named twice.
 */
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
    const root = this.resolve(this.yaml.doc.contents as Node | null);
    if (!isMap(root)) return config; // the schema allows a mapping or nothing
    const matrix: { -readonly [K in keyof MatrixSpec]: MatrixSpec[K] } = {};
    const lines: { -readonly [K in keyof MatrixLines]: MatrixLines[K] } = {};
    for (const pair of root.items) {
      const keyNode = pair.key as Node;
      const key = String((keyNode as Scalar).value) as (typeof knownKeys)[number];
      const value = this.resolve(pair.value as Node | null) as Node;
      switch (key) {
        case "python":
        case "django":
          matrix[key] = this.readVersionList(value, key);
          lines[key] = this.line(value);
          break;
        case "database":
          matrix.database = this.readDatabaseList(value);
          lines.database = this.line(value);
          break;
        case "services":
          config.services = this.readServices(value);
          break;
        case "include":
        case "exclude": {
          const { entries, entryLines } = this.readEntries(value as YAMLSeq);
          matrix[key] = entries;
          lines[key] = entryLines;
          break;
        }
        case "test":
          config.test = String((value as Scalar).value).trim();
          break;
        case "install":
          config.install = this.items(value).map((item) => String((item as Scalar).value).trim());
          break;
        case "env":
          config.env = Object.fromEntries((value as YAMLMap).items.map((p) => [String((p.key as Scalar).value), this.scalarText(this.resolve(p.value as Node) as Scalar)]));
          break;
        case "timeout":
          config.timeout = Number((value as Scalar).value);
          break;
        case "notify":
          config.notify = readNotifyKey(value, keyNode, this.tools);
          break;
        case "schedule":
          config.schedule = readSchedule(pair.value as Node | null, keyNode, this.tools);
          break;
        case "quarantine":
        case "already_failing":
        case "confirm_failures":
        case "failed_first":
          readTestPolicyKey(config.tests, key, value, keyNode, this.tools);
          break;
      }
    }
    if (Object.keys(matrix).length > 0) config.matrix = { ...matrix, lines };
    return config;
  }

  /** A list, or one value standing for a one-item list (the schema's oneOrMany), aliases resolved. */
  private items(node: Node): Node[] {
    return isSeq(node) ? node.items.map((item) => this.resolve(item as Node) as Node) : [node];
  }

  private readVersionList(node: Node, axis: "python" | "django"): string[] {
    const seen = new Set<string>();
    return this.items(node).map((item) => {
      const version = this.readVersion(item as Scalar, axis);
      if (seen.has(version)) this.fail(item, `\`${axis}:\` lists "${version}" twice: remove the duplicate`);
      seen.add(version);
      return version;
    });
  }

  /**
   * A version as written. The schema checks strings; a number it cannot: YAML
   * reads 3.10 as 3.1, and 2.7 is a number of the right type.
   */
  private readVersion(node: Scalar, axis: "python" | "django"): string {
    if (typeof node.value !== "number") return String(node.value).trim();
    const written = this.sourceOf(node);
    const name = axis === "python" ? "Python" : "Django";
    if (written !== String(node.value)) this.fail(node, `${name} version ${written} is read by YAML as the number ${String(node.value)}: quote it, e.g. "${written}"`);
    // Python: CPython "3.X", or PyPy as tox and uv name it, "pypy3.X" (src/domain/python-name.ts); the schema's pattern.
    if (!(axis === "python" ? /^3\.\d{1,2}$/ : /^\d{1,2}\.\d$/).test(written)) this.fail(node, `"${written}" is not a ${name} version: write the series "major.minor" in quotes, e.g. ${axis === "python" ? '"3.11"' : '"5.2"'}`);
    return written;
  }

  private readEntries(node: YAMLSeq) {
    const entries: MatrixEntry[] = [];
    const entryLines: number[] = [];
    for (const raw of node.items) {
      const item = this.resolve(raw as Node) as YAMLMap;
      const entry: Record<string, string> = {};
      for (const pair of item.items) {
        const k = String((pair.key as Scalar).value);
        const v = this.resolve(pair.value as Node) as Scalar;
        if (k === "python" || k === "django") entry[k] = this.readVersion(v, k);
        else if (k === "database") entry[k] = this.readDatabase(v);
        else entry[k] = this.scalarText(v);
      }
      entries.push(entry);
      entryLines.push(this.line(item));
    }
    return { entries, entryLines };
  }

  /** Databases, each once however it is spelt (pg and postgres are one). */
  private readDatabaseList(node: Node): DatabaseName[] {
    const seen = new Set<DatabaseName>();
    return this.items(node).map((item) => {
      const database = this.readDatabase(item as Scalar);
      if (seen.has(database)) this.fail(item, `\`database:\` lists ${database} twice: remove the duplicate`);
      seen.add(database);
      return database;
    });
  }

  private readDatabase(node: Scalar): DatabaseName {
    const database = parseDatabaseName(String(node.value).trim());
    // The schema's pattern lists parseDatabaseName's spellings: a difference between them is a bug here, said at the line.
    if (database === undefined) this.fail(node, `database "${String(node.value)}" is not known: use sqlite, postgres, mariadb or postgis (mysql runs on mariadb)`);
    return database;
  }

  /**
   * `services:` items: "postgres", "postgres:16", or a mapping
   * {name, version, args}; args are server settings, validated here so a bad
   * one is a config error at its line, never something a shell sees.
   */
  private readServices(node: Node): ServiceSpec[] {
    const services: ServiceSpec[] = [];
    for (const item of this.items(node)) {
      let nameText: string;
      let version: string | undefined;
      let args: string[] = [];
      if (isScalar(item)) {
        [nameText = "", version] = String(item.value).trim().split(/:(.*)/s);
      } else {
        const fields = Object.fromEntries((item as YAMLMap).items.map((p) => [String((p.key as Scalar).value), this.resolve(p.value as Node) as Node]));
        nameText = this.scalarText(fields.name as Scalar).trim();
        version = fields.version ? this.scalarText(fields.version as Scalar) : undefined;
        // "-c name=value" written as one item is the two argv items postgres takes.
        args = fields.args
          ? this.items(fields.args).flatMap((a) => {
              const text = this.scalarText(a as Scalar).trim();
              const pair = /^-c\s+(\S+)$/.exec(text);
              return pair?.[1] ? ["-c", pair[1]] : [text];
            })
          : [];
      }
      const database = parseDatabaseName(nameText);
      if (database === undefined || database === "sqlite") {
        this.fail(item, `unknown service "${nameText}": Pony CI provides ${serviceNames.slice(0, -1).join(", ")} and ${serviceNames.at(-1)} (mysql runs on mariadb)`);
      }
      const name: ServiceName = database;
      if (services.some((s) => s.name === name)) this.fail(item, `\`services:\` lists ${name} twice: list each service once`);
      const problem = checkServiceArgs(name, args);
      if (problem) this.fail(item, `server arguments of ${name}: ${problem}`);
      services.push(version === undefined ? { name, args } : { name, version, args });
    }
    return services;
  }

  /** Text of a scalar value; numbers keep the spelling they were written with (0.10 stays "0.10"). */
  private scalarText(node: Scalar): string {
    return typeof node.value === "number" ? this.sourceOf(node) : String(node.value);
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

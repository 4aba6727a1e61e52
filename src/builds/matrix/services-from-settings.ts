import type { DatabaseName, ServiceName } from "../../domain/database.js";
import type { ReadRepoFile } from "./read-repo-file.js";

/**
 * Where test settings usually are, in the order they are asked: the first
 * that names a database engine decides (after the module DJANGO_SETTINGS_MODULE
 * names, when tox or pytest configuration says so). Read as text, never imported.
 */
export const SETTINGS_FILES: readonly string[] = [
  "tests/settings.py",
  "tests/test_settings.py",
  "test_settings.py",
  "runtests.py",
  "conftest.py",
  "tests/conftest.py",
  "settings.py",
  "test_project/settings.py",
  "testproject/settings.py",
];

/** Files that may name the settings module (DJANGO_SETTINGS_MODULE), in the order they are trusted. */
export const SETTINGS_MODULE_SOURCES: readonly string[] = ["tox.ini", "pytest.ini", "setup.cfg", "pyproject.toml", "runtests.py", "conftest.py", "tests/conftest.py", "manage.py"];

/** Planning files are at most 256 KiB; a settings file's engines are found in its first 64 KiB of lines. */
const MAX_SCANNED_CHARS = 64 * 1024;

/** Engines decided per file: each walks up its lines once, so a file of engines cannot cost lines × lines. */
const MAX_MENTIONS = 50;

/** What a project's test settings say about its database, with zero config. */
export interface SettingsServices {
  /** The file that decided. */
  file: string;
  /** The database service its default engine needs (never SQLite). */
  service: ServiceName;
}

/** An engine named in a file, and whether it is in effect when no variable is set. */
interface EngineMention {
  database: DatabaseName;
  line: number;
  isDefault: boolean;
}

/**
 * The database service a project's test settings use by default (zero
 * config, no `services:`, no workflow services): found by a plain-text scan
 * of tox's `[testenv]` set_env and of the test settings (the module
 * DJANGO_SETTINGS_MODULE names in tox/pytest configuration, else the first
 * of {@link SETTINGS_FILES} that names an engine), never by running them.
 *
 * The rule: an engine counts when it is what the settings use **with no
 * variable set**, as a fresh checkout runs: a literal
 * (`"django.db.backends.postgresql"`, `postgres://…`) outside any `if`/`try`
 * block, the fallback of an environment lookup (`os.environ.get("X",
 * "…postgresql")`, `default="postgres://…"`), the `else` of an `if` that
 * tests a variable (`if os.environ.get("SQLITE"): … else: postgres`), or an
 * `if not os.environ…` branch. Engines under other conditions are options
 * the project's CI selects (tox factors, workflows): they start nothing. A
 * service runs only when every default names the same server database; a
 * SQLite default, or two different defaults (a mapping by variable), runs
 * on SQLite, with a note naming the options. Pure: reads through `readFile`.
 */
export function servicesFromSettings(readFile: ReadRepoFile, notes: string[] = []): SettingsServices | undefined {
  const candidates = [...new Set([...toxSetEnvSource(readFile), ...settingsModuleFile(readFile), ...SETTINGS_FILES])];
  for (const file of candidates) {
    const text = file === "tox.ini" ? toxTestenvSetEnv(readFile("tox.ini")) : readFile(file);
    if (text === undefined) continue;
    const mentions = findEngineMentions(text.slice(0, MAX_SCANNED_CHARS), file === "tox.ini" ? "ini" : "python");
    if (mentions.length === 0) continue;
    const defaults = [...new Set(mentions.filter((m) => m.isDefault).map((m) => m.database))];
    const options = [...new Set(mentions.filter((m) => !m.isDefault && m.database !== "sqlite").map((m) => m.database))];
    const only = defaults.length === 1 ? defaults[0] : undefined;
    if (only !== undefined && only !== "sqlite") return { file, service: only };
    if (file === "tox.ini" && defaults.length === 0) continue;
    if (options.length > 0 || defaults.length > 1) {
      const what = defaults.length === 1 ? "SQLite by default" : defaults.length > 1 ? `${defaults.join(" or ")} by a variable` : "no engine unconditionally";
      notes.push(`${file} names ${[...new Set([...defaults, ...options])].filter((d) => d !== "sqlite").join(" and ")} only under a condition (${what}): cells without a database of their own run on SQLite; list \`services:\` in .github/ponyci.yml to test on a server database`);
    }
    return undefined;
  }
  return undefined;
}

/** tox.ini, when it exists: its `[testenv]` set_env is scanned first (what tox sets wins over a settings fallback). */
function toxSetEnvSource(readFile: ReadRepoFile): string[] {
  return readFile("tox.ini") === undefined ? [] : ["tox.ini"];
}

/**
 * The lines of tox.ini's `[testenv]` section (the one every env inherits),
 * as text to scan: factor-conditional lines (`pg: DATABASE_URL=…`) are
 * turned into an `if` so they count as options, not defaults.
 */
function toxTestenvSetEnv(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const out: string[] = [];
  let inTestenv = false;
  for (const line of text.slice(0, MAX_SCANNED_CHARS).split(/\r?\n/)) {
    const section = /^\s*\[([^\]]*)\]/.exec(line);
    if (section) {
      inTestenv = section[1]?.trim() === "testenv";
      continue;
    }
    if (!inTestenv) continue;
    out.push(/^\s*[\w{},.!-]+\s*:\s*[A-Za-z_]\w*\s*=/.test(line) && !/^\s*set_env\s*=|^\s*setenv\s*=/.test(line) ? `if factor:\n    ${line.trim()}` : line.trim());
  }
  return out.join("\n");
}

/** The settings module's file when tox, pytest or a runner script names one (`tests.settings` → tests/settings.py). */
function settingsModuleFile(readFile: ReadRepoFile): string[] {
  for (const source of SETTINGS_MODULE_SOURCES) {
    const text = readFile(source)?.slice(0, MAX_SCANNED_CHARS);
    if (text === undefined) continue;
    for (const line of text.split(/\r?\n/)) {
      // A factor-conditional tox line (`pg: DJANGO_SETTINGS_MODULE=…`) is one env's choice, not the default.
      if (/^\s*[\w{},.!-]+\s*:\s*DJANGO_SETTINGS_MODULE/.test(line)) continue;
      const found = /DJANGO_SETTINGS_MODULE["'\]]?\s*[=:,]\s*["']?([A-Za-z_]\w*(?:\.[A-Za-z_]\w*){0,5})["']?/.exec(line);
      if (found?.[1]) return [`${found[1].split(".").join("/")}.py`];
    }
  }
  return [];
}

/** Engines in Python are string literals (an unquoted dotted name is an import, not a setting). */
const ENGINE_LITERAL = /(["'])django\.(contrib\.gis\.)?db\.backends\.(\w+)\1/g;
const URL_LITERAL = /(["'])(postgres|postgresql|pgsql|psql|postgis|mysql|mysql2|mysqlgis|mariadb|sqlite|spatialite)(?:\+\w+)?:\/\//g;
/** In tox.ini values are bare: `DB_ENGINE = django.db.backends.postgresql`, `DATABASE_URL=postgres://…`. */
const ENGINE_VALUE = /(^|[\s=:"'])django\.(contrib\.gis\.)?db\.backends\.(\w+)(?![\w.])/g;
const URL_VALUE = /(^|[\s=:"'])(postgres|postgresql|pgsql|psql|postgis|mysql|mysql2|mysqlgis|mariadb|sqlite|spatialite)(?:\+\w+)?:\/\//g;

function databaseOfBackend(gis: boolean, backend: string): DatabaseName | undefined {
  if (backend === "sqlite3" || backend === "spatialite") return "sqlite";
  if (backend === "postgis" && gis) return "postgis";
  if (/^postgresql(_psycopg2)?$/.test(backend)) return gis ? "postgis" : "postgres";
  if (backend === "mysql") return "mariadb";
  return undefined;
}

function databaseOfScheme(scheme: string): DatabaseName {
  if (scheme === "postgis") return "postgis";
  if (/^(postgres|postgresql|pgsql|psql)$/.test(scheme)) return "postgres";
  if (/^(sqlite|spatialite)$/.test(scheme)) return "sqlite";
  return "mariadb";
}

/** Every engine literal of a file, each decided default or conditional (see servicesFromSettings). */
function findEngineMentions(text: string, kind: "python" | "ini"): EngineMention[] {
  const lines = text.split(/\r?\n/);
  const mentions: EngineMention[] = [];
  lines.forEach((line, index) => {
    const code = kind === "python" ? stripComment(line) : /^\s*[#;]/.test(line) ? "" : line;
    const found: { at: number; database: DatabaseName }[] = [];
    for (const m of code.matchAll(kind === "python" ? ENGINE_LITERAL : ENGINE_VALUE)) {
      const database = databaseOfBackend(m[2] !== undefined, m[3] ?? "");
      if (database) found.push({ at: m.index, database });
    }
    for (const m of code.matchAll(kind === "python" ? URL_LITERAL : URL_VALUE)) found.push({ at: m.index, database: databaseOfScheme(m[2] ?? "") });
    for (const { at, database } of found) {
      if (mentions.length < MAX_MENTIONS) mentions.push({ database, line: index, isDefault: isDefaultAt(lines, index, code.slice(Math.max(0, at - 512), at)) });
    }
  });
  return mentions;
}

/** A `#` comment's start outside quotes is the end of the code (good enough for settings files: no multi-line strings handled). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#") return line.slice(0, i);
  }
  return line;
}

const ENV_LOOKUP = /\b(?:environ|getenv|env)\b/;

/** Whether the literal at `before`'s end on line `index` is in effect when no variable is set. */
function isDefaultAt(lines: readonly string[], index: number, before: string): boolean {
  // The fallback of a lookup: os.environ.get("X", "<literal>"), env.db("X", default="<literal>"), config(default=…).
  if (/(?:\bdefault\s*=\s*|(?:\.get|getenv|setdefault|\benv(?:\.\w+)?|\bconfig|\bparse)\s*\(\s*(?:["'][^"']*["']\s*,\s*)?)$/.test(before)) return true;
  // A comparison (`if os.environ["DB"] == "…postgresql"`, `"x" in (…)`) selects; it sets nothing by default.
  if (/^\s*(?:if|elif|while|assert)\b|==|!=|\bin\s*[([{]?\s*$/.test(before)) return false;
  const block = enclosingBlock(lines, index);
  if (!block) return true;
  if (block.kind === "if") return isNegativeEnvTest(block.condition);
  if (block.kind === "else") return block.chain.length > 0 && block.chain.every(isPositiveEnvTest);
  return false;
}

type Block = { kind: "if"; condition: string } | { kind: "else"; chain: string[] } | { kind: "other" };

/**
 * The innermost `if`/`elif`/`else`/`try`/`except` block around line `index`,
 * by indentation; `def`, `class`, `with` and `for` are looked through (a
 * `settings.configure(...)` in a function is what the function does), and
 * so are `if not settings.configured:` and `if __name__ == "__main__":`.
 */
function enclosingBlock(lines: readonly string[], index: number): Block | undefined {
  let threshold = indentOf(lines[index] ?? "");
  for (let j = index - 1; j >= 0 && threshold > 0; j--) {
    const line = stripComment(lines[j] ?? "");
    if (line.trim() === "") continue;
    const indent = indentOf(line);
    if (indent >= threshold) continue;
    threshold = indent;
    const head = line.trim();
    const conditional = /^(if|elif)\b(.*):$/.exec(head);
    // Always true when a runner script or conftest runs: looked through.
    if (conditional?.[1] === "if" && /^(not\s+settings\.configured|__name__\s*==\s*["']__main__["'])$/.test(conditional[2]?.trim() ?? "")) continue;
    if (conditional?.[1] === "if") return { kind: "if", condition: conditional[2]?.trim() ?? "" };
    if (conditional?.[1] === "elif") return { kind: "other" };
    if (/^else\s*:$/.test(head)) return { kind: "else", chain: ifChainAbove(lines, j, indent) };
    if (/^(try|except|finally)\b.*:$/.test(head)) return { kind: "other" };
  }
  return undefined;
}

/** The conditions of the `if`/`elif` chain an `else` at line `at` ends. */
function ifChainAbove(lines: readonly string[], at: number, indent: number): string[] {
  const chain: string[] = [];
  for (let j = at - 1; j >= 0; j--) {
    const line = stripComment(lines[j] ?? "");
    if (line.trim() === "" || indentOf(line) > indent) continue;
    if (indentOf(line) < indent) return [];
    const head = /^(if|elif)\b(.*):$/.exec(line.trim());
    if (!head) return [];
    chain.push(head[2]?.trim() ?? "");
    if (head[1] === "if") return chain;
  }
  return [];
}

function isNegativeEnvTest(condition: string): boolean {
  return ENV_LOOKUP.test(condition) && (/^not\b/.test(condition) || /\bnot\s+in\b/.test(condition));
}

function isPositiveEnvTest(condition: string): boolean {
  return ENV_LOOKUP.test(condition) && !isNegativeEnvTest(condition) && !/\bor\b|\band\b/.test(condition);
}

function indentOf(line: string): number {
  return /^[ \t]*/.exec(line)?.[0].replace(/\t/g, "        ").length ?? 0;
}

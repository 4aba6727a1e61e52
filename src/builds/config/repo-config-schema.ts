import { maxTimeoutSeconds } from "./repo-config.js";
import { defaultCellTimeoutSeconds } from "../../domain/cell-timeout.js";
import { configFileSchema, oneOrMany } from "../../config/one-or-many.js";
import { notifySchema } from "./notify-schema.js";
import { scheduleSchema } from "./schedule-schema.js";

const pythonVersion = { type: ["string", "number"], pattern: "^\\s*(pypy)?3\\.\\d{1,2}\\s*$", errorMessage: '"{value}" is not a Python version: write the series "major.minor" in quotes, e.g. "3.11"' };
const djangoVersion = { type: ["string", "number"], pattern: "^\\s*\\d{1,2}\\.\\d\\s*$", errorMessage: '"{value}" is not a Django version: write the series "major.minor" in quotes, e.g. "5.2" (the newest patch release is installed)' };
/** The spellings src/builds/matrix/parse-database-name.ts reads, in any case ("[pP][gG]"): a JSON Schema pattern has no flags. */
const anyCase = (names: readonly string[]) => `(${names.map((n) => n.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`)).join("|")})`;
const database = {
  type: "string",
  pattern: `^\\s*${anyCase(["sqlite", "sqlite3", "postgres", "postgresql", "pg", "psql", "psycopg", "psycopg2", "psycopg3", "postgis", "mariadb", "mysql"])}\\s*$`,
  examples: ["sqlite", "postgres", "mariadb", "postgis"],
  errorMessage: 'database "{value}" is not known: use sqlite, postgres, mariadb or postgis (mysql runs on mariadb)',
};
const serviceName = anyCase(["postgres", "postgresql", "pg", "psql", "postgis", "mariadb", "mysql"]);

/**
 * The JSON Schema of `.github/ponyci.yml` (draft-07; reference:
 * docs/repo-config.md): what parseRepoConfig accepts, checked by ajv when a
 * config is read, and published for editors (`ponyci schema`,
 * docs/ponyci.schema.json). Rules a schema cannot say (a version YAML read
 * as a number that lost its zero, a duplicate, a server argument, a cron
 * expression's fields, a calendar day) stay with the reader.
 */
export const repoConfigSchema = configFileSchema({
  title: "Pony CI repository settings (.github/ponyci.yml)",
  description: "Every key is optional; an empty file means the defaults. Reference: docs/repo-config.md.",
  errorMessage: "the file must be a mapping of settings such as `python:`, `django:` and `test:`",
  properties: {
    python: { description: 'Python versions, "major.minor" in quotes, e.g. ["3.11", "3.13"].', ...oneOrMany(pythonVersion, { minItems: 1, uniqueItems: true, errorMessage: '`python:` lists Python versions in quotes, e.g. `python: ["3.11", "3.13"]` (remove the key for the default)' }) },
    django: { description: 'Django series, "major.minor" in quotes, e.g. ["4.2", "5.2"]; the newest patch release is installed.', ...oneOrMany(djangoVersion, { minItems: 1, uniqueItems: true, errorMessage: '`django:` lists Django series in quotes, e.g. `django: ["4.2", "5.2"]` (remove the key for the default)' }) },
    database: { description: "The database axis: sqlite, postgres, mariadb, postgis (mysql runs on mariadb).", ...oneOrMany(database, { minItems: 1, uniqueItems: true, errorMessage: "`database:` lists the databases to test on, e.g. `database: [sqlite, postgres]` (known: sqlite, postgres, mariadb, postgis)" }) },
    include: {
      description: 'Cells added to the matrix, e.g. [{python: "3.13", django: "6.0"}]; other keys are extra values of the cell.',
      type: "array",
      errorMessage: '`include:` must be a list of {python, django} mappings, e.g. `include: [{python: "3.13", django: "6.0"}]`',
      items: {
        type: "object",
        minProperties: 1,
        errorMessage: 'each `include` entry is a non-empty mapping, e.g. `include: [{python: "3.13", django: "6.0"}]`',
        properties: { python: pythonVersion, django: djangoVersion, database },
        propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_-]*$" },
        additionalProperties: { type: ["string", "number", "boolean"], errorMessage: "an include value must be a single string" },
      },
    },
    exclude: {
      description: 'Cells removed from the matrix, matched on python, django and database, e.g. [{python: "3.11", django: "5.2"}].',
      type: "array",
      errorMessage: '`exclude:` must be a list of {python, django} mappings, e.g. `exclude: [{python: "3.11", django: "5.2"}]`',
      items: {
        type: "object",
        minProperties: 1,
        errorMessage: 'each `exclude` entry is a non-empty mapping of python, django and/or database, e.g. `exclude: [{python: "3.11", django: "5.2"}]`',
        additionalProperties: false,
        properties: { python: pythonVersion, django: djangoVersion, database },
      },
    },
    test: { description: "The shell command that runs the tests; default: detected (tox, pytest, manage.py test, runtests.py).", type: "string", pattern: "\\S", errorMessage: '`test:` must be a shell command string, e.g. `test: "python manage.py test"`' },
    install: { description: "pip requirement lines replacing the detected test dependencies.", ...oneOrMany({ type: "string", pattern: "\\S", errorMessage: '`install:` must be a list of pip requirement strings, e.g. `install: ["-r requirements/test.txt", "factory-boy"]`' }) },
    env: {
      description: "Environment variables of every cell, NAME: value.",
      type: "object",
      errorMessage: '`env:` must be a mapping of NAME: value, e.g. `env: {DJANGO_SETTINGS_MODULE: "mysite.settings"}`',
      propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
      additionalProperties: { type: ["string", "number", "boolean"], errorMessage: 'an env value must be a single string (quoted "" for an empty one)' },
    },
    timeout: {
      description: `Seconds one cell may run, checkout and environment included; default ${defaultCellTimeoutSeconds}.`,
      type: "integer",
      minimum: 1,
      maximum: maxTimeoutSeconds,
      default: defaultCellTimeoutSeconds,
      errorMessage: `\`timeout:\` is the number of seconds per cell, a whole number from 1 to ${maxTimeoutSeconds}, e.g. \`timeout: 600\``,
    },
    services: {
      description: 'Database services: "postgres", "postgres:16", or {name, version, args}.',
      ...oneOrMany({
        anyOf: [
          {
            type: "string",
            pattern: `^\\s*${serviceName}(:\\d{1,2}(\\.\\d{1,2})?)?\\s*$`,
            examples: ["postgres", "postgres:16", "mariadb", "postgis"],
            errorMessage: '"{value}" is not a database service: write postgres, mariadb or postgis (mysql runs on mariadb), with a major or major.minor version if you like, e.g. "postgres:16"',
          },
          {
            type: "object",
            required: ["name"],
            additionalProperties: false,
            properties: {
              name: { type: "string", pattern: `^\\s*${serviceName}\\s*$`, errorMessage: 'unknown service "{value}": Pony CI provides postgres, mariadb and postgis (mysql runs on mariadb)' },
              version: { type: ["string", "number"], pattern: "^\\d{1,2}(\\.\\d{1,2})?$", errorMessage: 'service version "{value}" is not a major or major.minor version, e.g. "16" or "10.11"' },
              args: { ...oneOrMany({ type: ["string", "number"] }) },
            },
          },
        ],
        errorMessage: '`services:` lists database services, e.g. `services: [postgres]`, `services: ["postgres:16", mariadb]` or `- {name: postgres, args: ["-c", "max_connections=200"]}`',
      }),
    },
    quarantine: {
      description: "Tests that still run and are reported but do not make a cell red: ids, globs or {test, until, reason}.",
      type: "array",
      maxItems: 500,
      errorMessage: '`quarantine:` must be a list of test ids or globs, at most 500, e.g. `quarantine: ["polls.tests.SlowTests.*", {test: "tests/test_net.py::test_fetch", until: "2026-12-31", reason: "#42"}]`',
      items: {
        errorMessage: 'a quarantine entry is a test id or glob, or a mapping with `test:` (and `until:`, `reason:`), e.g. `{test: "tests/test_net.py::test_fetch", until: "2026-12-31"}`',
        anyOf: [
          { type: "string", pattern: "\\S", maxLength: 500 },
          {
            type: "object",
            required: ["test"],
            additionalProperties: false,
            properties: {
              test: { type: "string", pattern: "\\S", maxLength: 500 },
              until: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$", description: "Last day (UTC) the quarantine holds." },
              reason: { type: "string" },
            },
          },
        ],
      },
    },
    already_failing: { description: "The conclusion of a cell whose only failures already failed on the base.", enum: ["failure", "neutral"], default: "failure", errorMessage: "`already_failing:` is `failure` (the default: a test already failing on the base still makes the cell red) or `neutral`" },
    confirm_failures: { description: "Re-run once a cell whose only failures are new.", type: "boolean", default: true, errorMessage: "`confirm_failures:` is `true` or `false`" },
    failed_first: { description: "Run the tests that failed last time first.", type: "boolean", default: true, errorMessage: "`failed_first:` is `true` or `false`" },
    notify: notifySchema,
    schedule: scheduleSchema,
  },
});

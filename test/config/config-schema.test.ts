import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createSchemaCheck } from "../../src/config/check-against-schema.js";
import { readYamlDocument } from "../../src/config/read-yaml-document.js";
import { repoConfigSchema } from "../../src/builds/config/repo-config-schema.js";
import { privateReposSchema } from "../../src/bridge/private-repos-schema.js";
import { parseRepoConfig } from "../../src/builds/config/parse-repo-config.js";
import { parsePrivateRepos } from "../../src/bridge/parse-private-repos.js";
import { formatSchema, schemaCommand } from "../../src/cli/schema-command.js";

const root = path.resolve(import.meta.dirname, "../..");
const checkRepoConfig = createSchemaCheck(repoConfigSchema);
const checkPrivateRepos = createSchemaCheck(privateReposSchema);
const SECRET = "0123456789abcdef0123";

function capture() {
  let text = "";
  return { write: (chunk: string) => void (text += chunk), text: () => text };
}

describe("the published JSON Schemas", () => {
  it.each([
    ["repo-config", "docs/ponyci.schema.json"],
    ["private-repos", "docs/private-repos.schema.json"],
  ] as const)("`ponyci schema %s` prints %s byte for byte", (name, file) => {
    const out = capture();
    const err = capture();
    expect(schemaCommand([name], { out, err })).toBe(0);
    expect(out.text()).toBe(formatSchema(name));
    expect(readFileSync(path.join(root, file), "utf8")).toBe(out.text());
    expect(err.text()).toBe("");
  });

  it("prints the repository settings' schema by default and refuses an unknown name", () => {
    const out = capture();
    expect(schemaCommand([], { out, err: capture() })).toBe(0);
    expect(JSON.parse(out.text())).toMatchObject({ title: "Pony CI repository settings (.github/ponyci.yml)" });
    const err = capture();
    expect(schemaCommand(["ponyci.yml"], { out: capture(), err })).toBe(2);
    expect(err.text()).toMatch(/^ponyci schema: unknown schema "ponyci\.yml"\nUsage: ponyci schema \[repo-config\|private-repos\]/);
  });

  it("accepts every config file the project ships (example and fixtures)", () => {
    const files = [
      "examples/polls/.github/ponyci.yml",
      ...["django-mariadb", "django-postgres", "bridge-app", "django-slow-postgres", "bridge-downstream-project", "django-slow", "bridge-bench", "bridge-project"].map((p) => `test/fixtures/projects/${p}/.github/ponyci.yml`),
    ];
    for (const file of files) expect({ file, problem: checkRepoConfig(readYamlDocument(readFileSync(path.join(root, file), "utf8"))) }).toEqual({ file, problem: undefined });
  });

  it("accepts every setting the reference shows", () => {
    const text = [
      'python: ["3.11", "3.13"]',
      "django: [4.2, \"5.2\"]",
      "database: [sqlite, PostgreSQL, mysql]",
      'include: [{python: "3.13", django: "6.0", experimental: true}]',
      'exclude: [{python: "3.11", django: "5.2", database: mysql}]',
      "test: pytest -x",
      "install: pytest-django",
      "env: {DJANGO_SETTINGS_MODULE: mysite.settings, RETRIES: 3}",
      "timeout: 600",
      'services: ["postgres:16", {name: mariadb, version: "10.11", args: ["--max-connections=200"]}]',
      'quarantine: ["polls.tests.Slow.*", {test: "tests/test_net.py::test_fetch", until: 2026-12-31, reason: "#42"}]',
      "already_failing: neutral",
      "confirm_failures: false",
      "failed_first: true",
      "notify: {email: team@example.com, on: [failure], webhook: [https://hooks.example.com/x]}",
      'schedule: [{cron: "0 3 * * *", branches: [main, stable/5.x]}, "30 2 * * 1"]',
      "",
    ].join("\n");
    expect(parseRepoConfig(text).timeout).toBe(600);
    expect(checkRepoConfig(readYamlDocument(text))).toBeUndefined();
  });
});

describe("the schema's problems, at the YAML line of the value (ajv's instancePath mapped to the node)", () => {
  it.each([
    // [what, text, line, column, message]
    ["a nested list", 'python: [["3.11"]]\n', 1, 10, 'a list is not a Python version: write the series "major.minor" in quotes, e.g. "3.11"'],
    ["a duplicate, at the later copy", 'django: ["4.2", "5.2",\n  "4.2"]\n', 2, 3, '`django:` lists "4.2" twice: remove the duplicate'],
    ["a timeout out of range", "test: x\n\ntimeout: 9000\n", 3, 10, "`timeout:` is the number of seconds per cell, a whole number from 1 to 7200, e.g. `timeout: 600`"],
    ["an unknown key", "python: ['3.11']\ncolour: blue\n", 2, 1, "unknown key `colour`: the keys are python, django, database, include, exclude, test, install, env, timeout, services, quarantine, already_failing, confirm_failures, failed_first, notify, schedule"],
    ["an unknown key deep down", 'include:\n  - python: "3.13"\nexclude:\n  - python: "3.11"\n    coverage: "1"\n', 5, 5, "unknown key `coverage` in `exclude`: the keys are python, django, database"],
    ["a list as an include value", 'include:\n  - python: "3.13"\n    extras: [a, b]\n', 3, 13, "an include value must be a single string"],
    ["a bad env name", "env:\n  OK: 1\n  BAD-NAME: 2\n", 3, 3, "`BAD-NAME` in `env` is not a valid name: use letters, digits and _ (and - in include)"],
    ["a value behind an alias", "x-base: &b [[1]]\n", 1, 1, "unknown key `x-base`: the keys are python, django, database, include, exclude, test, install, env, timeout, services, quarantine, already_failing, confirm_failures, failed_first, notify, schedule"],
    ["an aliased bad version, at the alias's target", 'test: &t "pytest"\npython: [*t]\n', 1, 10, '"pytest" is not a Python version: write the series "major.minor" in quotes, e.g. "3.11"'],
    ["a notify address", "notify:\n  email: [team@example.com, nobody]\n", 2, 29, '"nobody" is not an email address: write the address alone, e.g. team@example.com'],
    ["a list at the top", "- python\n", 1, 1, "the file must be a mapping of settings such as `python:`, `django:` and `test:`"],
  ])("%s", (_what, text, line, column, message) => {
    expect(checkRepoConfig(readYamlDocument(text))).toMatchObject({ line, column, message });
  });

  it("comes first: the reader answers only what the schema cannot say", () => {
    expect(checkRepoConfig(readYamlDocument("timeout: 0\n"))).toMatchObject({ line: 1, message: expect.stringMatching(/^`timeout:` is the number of seconds per cell/) });
    expect(() => parseRepoConfig("timeout: 0\n")).toThrow(/^\.github\/ponyci\.yml line 1: `timeout:` is the number of seconds per cell/);
    // YAML reads 3.10 as the number 3.1, which the schema's type allows: the reader knows how it was written.
    expect(checkRepoConfig(readYamlDocument("python: [3.10]\n"))).toBeUndefined();
    expect(() => parseRepoConfig("python: [3.10]\n")).toThrow(/^\.github\/ponyci\.yml line 1: Python version 3\.10 is read by YAML as the number 3\.1/);
    // An unknown top-level key keeps the reader's hint for habits from other CI systems.
    expect(() => parseRepoConfig("matrix:\n  python: []\n")).toThrow(/^\.github\/ponyci\.yml line 1: unknown key `matrix`: put python, django, include and exclude at the top level/);
  });

  it("keeps accepting what the reader accepts: empty lists where they mean nobody or nothing", () => {
    const text = "install: []\nservices: []\ninclude: []\nnotify: {email: [], webhook: []}\n";
    expect(parseRepoConfig(text).services).toEqual([]);
  });

  it("places the private repositories' problems at their lines too", () => {
    const text = ["repositories:", "  - name: app", "    url: /srv/app.git", `    secret: ${SECRET}`, "    forge: {type: gitea, api: ftp://git.example.com, project: o/app}", ""].join("\n");
    expect(checkPrivateRepos(readYamlDocument(text))).toMatchObject({ line: 5, column: 31, message: "`api:` must be an http(s) URL without credentials, e.g. https://git.example.com/api/v1" });
    expect(() => parsePrivateRepos(text, { file: "repos.yml", readSecretFile: () => "" })).toThrow(/^repos\.yml line 5: `api:` must be an http\(s\) URL/);
    const unknown = ["repositories:", "  - name: app", "    url: /srv/app.git", `    secret: ${SECRET}`, "    colour: blue", ""].join("\n");
    expect(checkPrivateRepos(readYamlDocument(unknown))).toMatchObject({ line: 5, column: 5, message: expect.stringMatching(/^unknown key `colour` in `repositories`: the keys are name, url, branches, secret, secret_file, visibility, after, notify, forge, schedule$/) });
  });
});

describe("hostile config files keep their bounds on the schema's path", () => {
  it("refuses more than 100 aliases in the private repositories' file before anything resolves them", () => {
    const anchors = Array.from({ length: 101 }, () => "      - *a").join("\n");
    const text = `repositories:\n  - name: app\n    url: /srv/app.git\n    secret: ${SECRET}\n    branches: &a [main]\n    after:\n${anchors}\n`;
    expect(() => parsePrivateRepos(text, { file: "repos.yml", readSecretFile: () => "" })).toThrow(/^repos\.yml line 1: more than 100 YAML aliases \(\*name\): write the values out instead\.$/);
  });

  it("answers a deeply nested value at its line, before the schema converts it", () => {
    const nested = (depth: number) => `test: pytest\nenv: {A: ${"[".repeat(depth)}${"]".repeat(depth)}}\n`;
    expect(() => parseRepoConfig(nested(500))).toThrow(/^\.github\/ponyci\.yml line 2: an env value must be a single string \(quoted "" for an empty one\)\.$/);
    // Deeper than the YAML parser's own recursion: still a config error at the line, never a crash.
    expect(() => parseRepoConfig(nested(20_000))).toThrow(/^\.github\/ponyci\.yml is not valid YAML: .*line 2\.$/);
  });
});

import { describe, expect, it } from "@jest/globals";
import { parseRepoConfig } from "../../src/builds/config/parse-repo-config.js";
import { RepoConfigError } from "../../src/builds/config/repo-config-error.js";

function errorOf(text: string): RepoConfigError {
  try {
    parseRepoConfig(text);
  } catch (error) {
    if (error instanceof RepoConfigError) return error;
    throw error;
  }
  throw new Error("expected a RepoConfigError");
}

const full = `# Pony CI settings
python: ["3.11", "3.13"]
django:
  - "4.2"
  - "5.2"
include:
  - python: "3.13"
    django: "6.0"
    experimental: true
exclude: [{python: "3.11", django: "5.2"}]
test: "python manage.py test"
install: ["-r requirements/test.txt", "factory-boy"]
env: {DJANGO_SETTINGS_MODULE: "mysite.settings", RETRIES: 3}
timeout: 600
`;

describe("parseRepoConfig", () => {
  it("reads every setting, with the lines of the matrix keys", () => {
    expect(parseRepoConfig(full)).toEqual({
      file: ".github/ponyci.yml",
      matrix: {
        python: ["3.11", "3.13"],
        django: ["4.2", "5.2"],
        include: [{ python: "3.13", django: "6.0", experimental: "true" }],
        exclude: [{ python: "3.11", django: "5.2" }],
        lines: { python: 2, django: 4, include: [7], exclude: [10] },
      },
      test: "python manage.py test",
      install: ["-r requirements/test.txt", "factory-boy"],
      env: { DJANGO_SETTINGS_MODULE: "mysite.settings", RETRIES: "3" },
      timeout: 600,
      services: [],
      schedule: [],
      tests: { quarantine: [], alreadyFailing: "failure", confirmFailures: true, failedFirst: true },
    });
  });

  it("reads how failing tests are judged: quarantine (ids, globs, expiry), already_failing, confirm_failures, failed_first", () => {
    const text = [
      "quarantine:",
      '  - "polls.tests.SlowTests.*"',
      "  - test: tests/test_net.py::test_fetch",
      "    until: 2026-12-31",
      '    reason: "flaky network, #42"',
      "already_failing: neutral",
      "confirm_failures: false",
      "failed_first: false",
      "",
    ].join("\n");
    expect(parseRepoConfig(text).tests).toEqual({
      quarantine: [
        { test: "polls.tests.SlowTests.*", line: 2 },
        { test: "tests/test_net.py::test_fetch", until: "2026-12-31", reason: "flaky network, #42", line: 3 },
      ],
      alreadyFailing: "neutral",
      confirmFailures: false,
      failedFirst: false,
    });
  });

  it.each([
    ["an empty file", ""],
    ["only comments", "# nothing here yet\n"],
    ["an explicit null document", "~\n"],
  ])("gives the defaults for %s", (_name, text) => {
    expect(parseRepoConfig(text)).toEqual({ file: ".github/ponyci.yml", matrix: undefined, test: undefined, install: undefined, env: {}, timeout: 1200, tests: { quarantine: [], alreadyFailing: "failure", confirmFailures: true, failedFirst: true }, services: [], schedule: [] });
  });

  it("keeps non-matrix settings without inventing a matrix", () => {
    const config = parseRepoConfig("test: pytest -x\n");
    expect(config.matrix).toBeUndefined();
    expect(config.test).toBe("pytest -x");
  });

  it.each([
    ["single strings stand for one-item lists", 'python: "3.12"\ndjango: "5.1"\ninstall: pytest-django\n', { python: ["3.12"], django: ["5.1"] }, ["pytest-django"]],
    ["unquoted numbers that survive YAML are accepted", "python: [3.11, 3.9]\ndjango: [4.2, 5.1]\n", { python: ["3.11", "3.9"], django: ["4.2", "5.1"] }, undefined],
  ])("%s", (_name, text, axes, install) => {
    const config = parseRepoConfig(text);
    expect(config.matrix).toMatchObject(axes);
    expect(config.install).toEqual(install);
  });

  it("resolves anchors and aliases", () => {
    const config = parseRepoConfig('python: &py ["3.11"]\ninclude:\n  - python: "3.13"\n    django: "6.0"\nexclude:\n  - {python: "3.11", django: "5.0"}\ndjango: ["4.2"]\n');
    expect(config.matrix?.python).toEqual(["3.11"]);
  });

  it("names the file it was given", () => {
    expect(() => parseRepoConfig("pythons: []\n", { file: ".github/ponyci.yaml" })).toThrow(/^\.github\/ponyci\.yaml line 1: unknown key `pythons`: did you mean `python`\?/);
  });

  it.each([
    // [what, text, line, column, message]
    ["a float that lost its zero", 'python:\n  - "3.11"\n  - 3.10\n', 3, 5, '.github/ponyci.yml line 3: Python version 3.10 is read by YAML as the number 3.1: quote it, e.g. "3.10".'],
    ["a Django float", "test: x\ndjango: [4.2, 5.0]\n", 2, 15, '.github/ponyci.yml line 2: Django version 5.0 is read by YAML as the number 5: quote it, e.g. "5.0".'],
    ["a float inside include", 'python: ["3.11"]\ndjango: ["4.2"]\ninclude:\n  - python: 3.10\n    django: "4.2"\n', 4, 13, '.github/ponyci.yml line 4: Python version 3.10 is read by YAML as the number 3.1: quote it, e.g. "3.10".'],
    ["a patch version", 'django: ["5.2.3"]\n', 1, 10, '.github/ponyci.yml line 1: "5.2.3" is not a Django version: write the series "major.minor" in quotes, e.g. "5.2" (the newest patch release is installed).'],
    ["a Python 2 as a number", "python: [2.7]\n", 1, 10, '.github/ponyci.yml line 1: "2.7" is not a Python version: write the series "major.minor" in quotes, e.g. "3.11".'],
    ["the same version written two ways", 'python: ["3.11", 3.11]\n', 1, 18, '.github/ponyci.yml line 1: `python:` lists "3.11" twice: remove the duplicate.'],
    ["a Python 2", 'python: ["2.7"]\n', 1, 10, '.github/ponyci.yml line 1: "2.7" is not a Python version: write the series "major.minor" in quotes, e.g. "3.11".'],
    ["a word for a version", "\n\ndjango: [main]\n", 3, 10, '.github/ponyci.yml line 3: "main" is not a Django version: write the series "major.minor" in quotes, e.g. "5.2" (the newest patch release is installed).'],
    ["a nested list", 'python: [["3.11"]]\n', 1, 10, '.github/ponyci.yml line 1: a list is not a Python version: write the series "major.minor" in quotes, e.g. "3.11".'],
    ["an empty list", "python: []\n", 1, 9, '.github/ponyci.yml line 1: `python:` lists Python versions in quotes, e.g. `python: ["3.11", "3.13"]` (remove the key for the default).'],
    ["a key without value", "test: x\npython:\n", 2, 1, '.github/ponyci.yml line 2: `python:` lists Python versions in quotes, e.g. `python: ["3.11", "3.13"]` (remove the key for the default).'],
    ["a duplicate version", 'django: ["4.2", "5.2",\n  "4.2"]\n', 2, 3, '.github/ponyci.yml line 2: `django:` lists "4.2" twice: remove the duplicate.'],
    ["an unknown key", 'python: ["3.11"]\ndjango-versions: ["4.2"]\n', 2, 1, ".github/ponyci.yml line 2: unknown key `django-versions`: did you mean `django`? (known keys: python, django, database, include, exclude, test, install, env, timeout, services, quarantine, already_failing, confirm_failures, failed_first, notify, schedule)."],
    ["a GitHub Actions habit", "matrix:\n  python: [\"3.11\"]\n", 1, 1, ".github/ponyci.yml line 1: unknown key `matrix`: put python, django, include and exclude at the top level, not under `matrix:`."],
    ["timeout in minutes", "timeout-minutes: 10\n", 1, 1, ".github/ponyci.yml line 1: unknown key `timeout-minutes`: use `timeout:` in seconds, e.g. `timeout: 600`."],
    ["a key far from any", "colour: blue\n", 1, 1, ".github/ponyci.yml line 1: unknown key `colour`: known keys: python, django, database, include, exclude, test, install, env, timeout, services, quarantine, already_failing, confirm_failures, failed_first, notify, schedule."],
    ["include that is not a list", 'include: {python: "3.13"}\n', 1, 10, '.github/ponyci.yml line 1: `include:` must be a list of {python, django} mappings, e.g. `include: [{python: "3.13", django: "6.0"}]`.'],
    ["include entry that is a string", 'include:\n  - "3.13"\n', 2, 5, '.github/ponyci.yml line 2: each `include` entry is a non-empty mapping, e.g. `include: [{python: "3.13", django: "6.0"}]`.'],
    ["empty exclude entry", 'python: ["3.11"]\nexclude:\n  - {}\n', 3, 5, '.github/ponyci.yml line 3: each `exclude` entry is a non-empty mapping of python, django and/or database, e.g. `exclude: [{python: "3.11", django: "5.2"}]`.'],
    ["exclude on an extra key", 'exclude:\n  - python: "3.11"\n    coverage: "1"\n', 3, 5, ".github/ponyci.yml line 3: unknown key `coverage` in `exclude`: the keys are python, django, database."],
    ["include value that is a list", 'include:\n  - python: "3.13"\n    extras: [a, b]\n', 3, 13, ".github/ponyci.yml line 3: an include value must be a single string."],
    ["test that is a list", "test:\n  - pytest\n", 2, 3, '.github/ponyci.yml line 2: `test:` must be a shell command string, e.g. `test: "python manage.py test"`.'],
    ["install entry that is a mapping", "install:\n  - pytest\n  - {name: x}\n", 3, 5, '.github/ponyci.yml line 3: `install:` must be a list of pip requirement strings, e.g. `install: ["-r requirements/test.txt", "factory-boy"]`.'],
    ["env that is a list", "env:\n  - A=1\n", 2, 3, '.github/ponyci.yml line 2: `env:` must be a mapping of NAME: value, e.g. `env: {DJANGO_SETTINGS_MODULE: "mysite.settings"}`.'],
    ["env with a bad name", "env:\n  OK: 1\n  BAD-NAME: 2\n", 3, 3, ".github/ponyci.yml line 3: `BAD-NAME` in `env` is not a valid name: use letters, digits and _ (and - in include)."],
    ["env with a null value", "env:\n  EMPTY:\n", 2, 3, '.github/ponyci.yml line 2: an env value must be a single string (quoted "" for an empty one).'],
    ["include key without value", 'include:\n  - python: "3.13"\n    django:\n', 3, 5, '.github/ponyci.yml line 3: an empty value is not a Django version: write the series "major.minor" in quotes, e.g. "5.2" (the newest patch release is installed).'],
    ["timeout too long", "\ntimeout: 9000\n", 2, 10, ".github/ponyci.yml line 2: `timeout:` is the number of seconds per cell, a whole number from 1 to 7200, e.g. `timeout: 600`."],
    ["timeout as text", 'timeout: "10m"\n', 1, 10, ".github/ponyci.yml line 1: `timeout:` is the number of seconds per cell, a whole number from 1 to 7200, e.g. `timeout: 600`."],
    ["timeout as a fraction", "timeout: 1.5\n", 1, 10, ".github/ponyci.yml line 1: `timeout:` is the number of seconds per cell, a whole number from 1 to 7200, e.g. `timeout: 600`."],
    ["a quarantine that is a string", 'quarantine: "a.b.*"\n', 1, 13, '.github/ponyci.yml line 1: `quarantine:` must be a list of test ids or globs, at most 500, e.g. `quarantine: ["polls.tests.SlowTests.*", {test: "tests/test_net.py::test_fetch", until: "2026-12-31", reason: "#42"}]`.'],
    ["a quarantine date that is no day", "quarantine:\n  - test: a.b\n    until: 2026-02-30\n", 3, 12, '.github/ponyci.yml line 3: quarantine `until:` is a day written YYYY-MM-DD, e.g. "2026-12-31" (got "2026-02-30").'],
    ["a quarantine entry without test", "quarantine:\n  - until: 2026-01-01\n", 2, 5, '.github/ponyci.yml line 2: a quarantine entry is a test id or glob, or a mapping with `test:` (and `until:`, `reason:`), e.g. `{test: "tests/test_net.py::test_fetch", until: "2026-12-31"}`.'],
    ["an unknown quarantine key", "quarantine:\n  - test: a\n    expires: 2026-01-01\n", 3, 5, ".github/ponyci.yml line 3: unknown key `expires` in `quarantine`: the keys are test, until, reason."],
    ["already_failing that is neither", "already_failing: ignore\n", 1, 18, ".github/ponyci.yml line 1: `already_failing:` is `failure` (the default: a test already failing on the base still makes the cell red) or `neutral`."],
    ["confirm_failures that is text", 'confirm_failures: "no"\n', 1, 19, ".github/ponyci.yml line 1: `confirm_failures:` is `true` or `false`."],
    ["a list at the top", "- python\n", 1, 1, ".github/ponyci.yml line 1: the file must be a mapping of settings such as `python:`, `django:` and `test:`."],
  ])("rejects %s", (_what, text, line, column, message) => {
    const error = errorOf(text);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("RepoConfigError");
    expect({ file: error.file, line: error.line, column: error.column, message: error.message }).toEqual({ file: ".github/ponyci.yml", line, column, message });
  });

  it.each([
    ["an unclosed flow list", 'python: ["3.11"\ndjango: ["4.2"]\n', 2, "Flow sequence in block collection must be sufficiently indented and end with a ]"],
    ["a duplicate key", 'python: ["3.11"]\ntest: a\npython: ["3.13"]\n', 3, "Map keys must be unique"],
    ["bad indentation", 'python: ["3.11"]\n  django: ["4.2"]\n', 2, "All mapping items must start at the same column"],
    ["an unclosed quote", 'test: "pytest\n', 1, "Missing closing \"quote"],
  ])("reports invalid YAML (%s) at its line, with the parser's error as cause", (_what, text, line, what) => {
    const error = errorOf(text);
    expect(error.line).toBe(line);
    expect(error.message).toBe(`.github/ponyci.yml is not valid YAML: ${what}. Check the indentation and quoting on line ${line}.`);
    expect(error.cause).toBeInstanceOf(Error);
  });
});

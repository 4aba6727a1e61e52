import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { cellKey } from "../../src/domain/cell.js";
import { RepoConfigError } from "../../src/builds/config/repo-config-error.js";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { stockPlanning } from "../support/django-support-table.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
const tox = "[tox]\nenvlist = py{311,313}-django{42,52}\n[testenv]\ndeps =\n    django42: django-filter<24\n    pytest\n";
const classifiers = '[project]\nclassifiers = [\n  "Framework :: Django :: 4.2",\n  "Programming Language :: Python :: 3.9",\n]\n';
const config = 'python: ["3.13"]\ndjango: ["5.2", "6.0"]\ntest: "pytest"\n';

describe("planMatrix", () => {
  it.each([
    { name: "the config matrix beats everything", files: { ".github/ponyci.yml": config, "tox.ini": tox, "pyproject.toml": classifiers }, source: "config", cells: ["py3.13-dj5.2", "py3.13-dj6.0"] },
    { name: "the .yaml spelling", files: { ".github/ponyci.yaml": config }, source: "config", cells: ["py3.13-dj5.2", "py3.13-dj6.0"] },
    { name: "tox beats classifiers", files: { "tox.ini": tox, "pyproject.toml": classifiers }, source: "tox", cells: ["py3.11-dj4.2", "py3.11-dj5.2", "py3.13-dj5.2"] },
    { name: "classifiers beat the default", files: { "pyproject.toml": classifiers }, source: "classifiers", cells: ["py3.9-dj4.2"] },
    { name: "the default matrix", files: {}, source: "default", cells: ["py3.11-dj4.2", "py3.11-dj5.2", "py3.13-dj5.2"] },
    { name: "a config without matrix keys falls through", files: { ".github/ponyci.yml": "test: pytest\n", "pyproject.toml": classifiers }, source: "classifiers", cells: ["py3.9-dj4.2"] },
    { name: "a tox envlist with nothing runnable falls through", files: { "tox.ini": "[tox]\nenvlist = lint, docs, py314-django60\n", "pyproject.toml": classifiers }, source: "classifiers", cells: ["py3.9-dj4.2"] },
    { name: "a python-only config takes the default Django releases", files: { ".github/ponyci.yml": 'python: ["3.9", "3.13"]\n' }, source: "config", cells: ["py3.9-dj4.2", "py3.13-dj5.2"] },
    { name: "a django-only config takes the default Pythons", files: { ".github/ponyci.yml": 'django: ["6.0"]\n' }, source: "config", cells: ["py3.13-dj6.0"] },
  ])("$name", ({ files, source, cells }) => {
    const plan = planMatrix(reader(files), stockPlanning);
    expect(plan.source).toBe(source);
    expect(plan.cells.map(cellKey)).toEqual(cells);
  });

  it("explains the default matrix and which sources it skipped", () => {
    const plan = planMatrix(reader({ "tox.ini": "[tox]\nenvlist = lint\n" }), stockPlanning);
    expect(plan.notes).toEqual([
      "tox env lint names no Django release: not used",
      "tox.ini envlist gives no cell this installation can run: not used",
      "Django 4.2 does not support Python 3.13: left out",
    ]);
    expect(plan.config).toEqual({ file: undefined, matrix: undefined, test: undefined, install: undefined, env: {}, timeout: 1200, tests: { quarantine: [], alreadyFailing: "failure", confirmFailures: true, failedFirst: true }, services: [], schedule: [] });
  });

  it("keeps the config's other settings when the matrix comes from elsewhere", () => {
    const plan = planMatrix(reader({ ".github/ponyci.yml": "test: pytest -x\ntimeout: 300\nenv: {A: b}\n", "tox.ini": tox }), stockPlanning);
    expect(plan.source).toBe("tox");
    expect(plan.config).toMatchObject({ file: ".github/ponyci.yml", test: "pytest -x", timeout: 300, env: { A: "b" } });
  });

  it("notes the cells left out of a config matrix and the unused second config file", () => {
    const plan = planMatrix(reader({ ".github/ponyci.yml": 'python: ["3.9", "3.12", "3.13"]\ndjango: ["5.2"]\n', ".github/ponyci.yaml": "test: x\n" }), stockPlanning);
    expect(plan.cells.map(cellKey)).toEqual(["py3.13-dj5.2"]);
    expect(plan.notes).toEqual([
      "Both .github/ponyci.yml and .github/ponyci.yaml exist: using .github/ponyci.yml",
      "Django 5.2 does not support Python 3.9: left out",
      "Python 3.12 is missing on this installation (it has 3.9, 3.11, 3.13): left out; add it with `ponyci images add 3.12`",
    ]);
  });

  it("follows the installation's Python versions", () => {
    const plan = planMatrix(reader({}), { ...stockPlanning, availablePython: ["3.14", "3.12", "3.10"] });
    expect(plan.cells.map(cellKey)).toEqual(["py3.12-dj4.2", "py3.12-dj5.2", "py3.14-dj5.2"]);
  });

  it("gives tox deps per cell whatever the matrix source", () => {
    const plan = planMatrix(reader({ ".github/ponyci.yml": config, "tox.ini": tox }), stockPlanning);
    expect(plan.depsFor({ python: "3.11", django: "4.2" })).toEqual(["django-filter<24", "pytest"]);
    expect(plan.depsFor({ python: "3.13", django: "6.0" })).toEqual(["pytest"]);
    expect(planMatrix(reader({}), stockPlanning).depsFor({ python: "3.13", django: "5.2" })).toBeUndefined();
  });

  it.each([
    { name: "a broken config file", files: { ".github/ponyci.yml": "python: [3.10]\n", "tox.ini": tox }, options: {}, file: ".github/ponyci.yml", line: 1, message: /quote it/ },
    { name: "a config matrix leaving nothing", files: { ".github/ponyci.yml": '\ndjango: ["6.0"]\npython: ["3.9"]\n' }, options: {}, file: ".github/ponyci.yml", line: 3, message: /leaves no cell to run/ },
    { name: "a tox envlist over the cap", files: { "tox.ini": "[tox]\nenvlist =\n  py{39,311,313}-django{32,40,41,42,50,51,52,60}\n" }, options: { maxCells: 11 }, file: "tox.ini", line: 2, message: /has 12 cells, but Pony CI runs at most 11/ },
    { name: "a default matrix this installation cannot run", files: {}, options: { availablePython: ["3.7"] }, file: ".github/ponyci.yml", line: 1, message: /^The default matrix \(Python 3\.7 × Django 4\.2, 5\.2\) leaves no cell .*Add `python:` and `django:` lists to \.github\/ponyci\.yml\.$/ },
  ])("throws RepoConfigError for $name", ({ files, options, file, line, message }) => {
    let error: unknown;
    try {
      planMatrix(reader(files), { ...stockPlanning, ...options });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RepoConfigError);
    expect(error).toMatchObject({ file, line });
    expect((error as Error).message).toMatch(message);
  });

  it("runs a tox envlist exactly at the cap", () => {
    const plan = planMatrix(reader({ "tox.ini": "[tox]\nenvlist =\n  py{39,311,313}-django{32,40,41,42,50,51,52,60}\n" }), { ...stockPlanning, maxCells: 12 });
    expect(plan.cells).toHaveLength(12);
  });
});

describe("docs/repo-config.md", () => {
  const blocks = [...readFileSync(new URL("../../docs/repo-config.md", import.meta.url), "utf8").matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "")
    // A block of comments only (the editor modeline) is not an example.
    .filter((block) => !/^(#[^\n]*\n)+$/.test(block));

  /** The first example whose text contains `marker`: found by content, so sections can move. */
  const example = (marker: string): string => {
    const block = blocks.find((b) => b.includes(marker));
    if (block === undefined) throw new Error(`no yaml example in docs/repo-config.md contains ${marker}`);
    return block;
  };

  it.each([
    [0, ["py3.11-dj4.2", "py3.13-dj5.2", "py3.13-dj6.0"]],
    [1, ["py3.11-dj5.2", "py3.13-dj5.2", "py3.13-dj6.0"]],
  ])("example %i gives the cells the text promises", (index, cells) => {
    const plan = planMatrix(reader({ ".github/ponyci.yml": blocks[index] }), stockPlanning);
    expect(plan.cells.map(cellKey)).toEqual(cells);
  });

  it("the databases example gives six cells, the SQLite ones keeping their names", () => {
    const plan = planMatrix(reader({ ".github/ponyci.yml": example("services:") }), stockPlanning);
    expect(plan.cells.map(cellKey)).toEqual(["py3.11-dj5.2", "py3.11-dj5.2-postgres", "py3.11-dj5.2-mariadb", "py3.13-dj5.2", "py3.13-dj5.2-postgres", "py3.13-dj5.2-mariadb"]);
  });

  it("the exclude example gives the cells the text promises", () => {
    const plan = planMatrix(reader({ ".github/ponyci.yml": example('python: ["3.9"') }), stockPlanning);
    expect(plan.cells.map(cellKey)).toEqual(["py3.9-dj4.2", "py3.11-dj4.2", "py3.11-dj5.1", "py3.11-dj5.2", "py3.13-dj5.1", "py3.13-dj5.2", "py3.13-dj6.0"]);
  });

  it("the failing-tests example sets what the text says", () => {
    const plan = planMatrix(reader({ ".github/ponyci.yml": example("quarantine:") }), stockPlanning);
    expect(plan.config.tests).toEqual({
      quarantine: [{ test: "polls.tests.NetworkTests.*", line: 2 }, { test: "tests/test_mail.py::test_send", until: "2026-12-31", reason: "SMTP sandbox flaky, #123", line: 3 }],
      alreadyFailing: "neutral",
      confirmFailures: true,
      failedFirst: true,
    });
  });

  it("example 1's include entries attach the variables the text describes", () => {
    const plan = planMatrix(reader({ ".github/ponyci.yml": blocks[1] }), stockPlanning);
    expect(plan.cells.map((c) => c.vars)).toEqual([{ COVERAGE: "1" }, { DATABASE: "postgres", COVERAGE: "1" }, undefined]);
  });

  it("every example parses", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const block of blocks) expect(() => planMatrix(reader({ ".github/ponyci.yml": block }), stockPlanning)).not.toThrow();
  });
});

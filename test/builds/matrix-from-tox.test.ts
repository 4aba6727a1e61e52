import { describe, expect, it } from "@jest/globals";
import { cellKey } from "../../src/domain/cell.js";
import { expandBraces, expandToxEnvlist } from "../../src/builds/matrix/expand-tox-envlist.js";
import { matrixFromTox } from "../../src/builds/matrix/matrix-from-tox.js";
import { parseToxFactor } from "../../src/builds/matrix/parse-tox-factor.js";
import { toxDepsForCell } from "../../src/builds/matrix/tox-deps-for-cell.js";
import { stockPlanning } from "../support/django-support-table.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
const keys = (cells: { python: string; django: string }[]) => cells.map(cellKey);

describe("expandToxEnvlist", () => {
  it.each([
    ["py{39,311,313}-django{42,52}", ["py39-django42", "py39-django52", "py311-django42", "py311-django52", "py313-django42", "py313-django52"]],
    ["py311-dj52, lint ,docs", ["py311-dj52", "lint", "docs"]],
    ["\npy310\n  py311,py312\n\n", ["py310", "py311", "py312"]],
    ["django{42,50}-py{310,311}", ["django42-py310", "django42-py311", "django50-py310", "django50-py311"]],
    ["py3{10-12}-django52", ["py310-django52", "py311-django52", "py312-django52"]],
    ["{py38,py39}-django{32, 42}-{sqlite,postgres}", ["py38-django32-sqlite", "py38-django32-postgres", "py38-django42-sqlite", "py38-django42-postgres", "py39-django32-sqlite", "py39-django32-postgres", "py39-django42-sqlite", "py39-django42-postgres"]],
    ["py311, py311, py{311}", ["py311"]],
  ])("%j", (value, names) => {
    expect(expandToxEnvlist(value)).toEqual(names);
  });

  it("keeps an unclosed brace literally", () => {
    expect(expandBraces("py{39")).toEqual(["py{39"]);
  });
});

describe("parseToxFactor", () => {
  it.each([
    ["py39", { kind: "python", version: "3.9" }], ["py311", { kind: "python", version: "3.11" }], ["py3.13", { kind: "python", version: "3.13" }],
    ["python3.10", { kind: "python", version: "3.10" }], ["py27", { kind: "python", version: "2.7" }],
    ["django42", { kind: "django", version: "4.2" }], ["dj52", { kind: "django", version: "5.2" }], ["django5.0", { kind: "django", version: "5.0" }],
    ["Django32", { kind: "django", version: "3.2" }],
    ["pypy310", { kind: "python", version: "pypy3.10" }], ["pypy3.11", { kind: "python", version: "pypy3.11" }], ["PyPy39", { kind: "python", version: "pypy3.9" }],
    ["pypy3", { kind: "python", version: "pypy3" }], ["pypy", { kind: "other" }], ["pypy2", { kind: "other" }],
    ["py3", { kind: "other" }], ["djmain", { kind: "other" }], ["django", { kind: "other" }],
    ["django5", { kind: "other" }], ["lint", { kind: "other" }], ["postgres", { kind: "database", database: "postgres" }],
  ])("%s", (factor, meaning) => {
    expect(parseToxFactor(factor)).toEqual(meaning);
  });
});

describe("matrixFromTox", () => {
  it.each([
    {
      name: "a plain envlist",
      files: { "tox.ini": "[tox]\nenvlist = py311-dj42, py311-dj52, py313-dj52\n" },
      cells: ["py3.11-dj4.2", "py3.11-dj5.2", "py3.13-dj5.2"],
      notes: [],
      line: 2,
    },
    {
      name: "django-debug-toolbar's shape: multi-line, database factors, docs and main",
      files: {
        "tox.ini": `[tox]
isolated_build = true
envlist =
    docs
    packaging
    py{39,310}-dj{32}-{sqlite,postgresql}
    py{310,311}-dj{42,50,main}-{sqlite,postgresql}

[testenv]
deps = coverage
`,
      },
      // Database factors are the cells' database axis (issue 13): a PostgreSQL twin per SQLite cell.
      cells: [
        "py3.9-dj3.2", "py3.9-dj3.2-postgres", "py3.10-dj3.2", "py3.10-dj3.2-postgres",
        "py3.10-dj4.2", "py3.10-dj4.2-postgres", "py3.10-dj5.0", "py3.10-dj5.0-postgres",
        "py3.11-dj4.2", "py3.11-dj4.2-postgres", "py3.11-dj5.0", "py3.11-dj5.0-postgres",
      ],
      notes: [
        "tox envs docs, packaging, py310-djmain-sqlite, py310-djmain-postgresql, py311-djmain-sqlite, py311-djmain-postgresql name no Django release: not used",
      ],
      line: 3,
    },
    {
      name: "django-filter's shape: one line, braces around whole factors",
      files: { "tox.ini": "[tox]\nenvlist =\n       {py38,py39}-django{32,42},{py310,py311}-django{50,main},isort,lint,docs,warnings\n" },
      cells: ["py3.8-dj3.2", "py3.8-dj4.2", "py3.9-dj3.2", "py3.9-dj4.2", "py3.10-dj5.0", "py3.11-dj5.0"],
      notes: ["tox envs py310-djangomain, py311-djangomain, isort, lint, docs, warnings name no Django release: not used"],
      line: 2,
    },
    {
      name: "Django factor first, tox 4 key name, comments",
      files: { "tox.ini": "# project tox\n[tox]\nenv_list = django{42,50}-py{310,311}  # the supported set\n; lint runs elsewhere\n" },
      cells: ["py3.10-dj4.2", "py3.11-dj4.2", "py3.10-dj5.0", "py3.11-dj5.0"],
      notes: [],
      line: 3,
    },
    {
      name: "envs naming only Django run on the newest available Python that supports it",
      files: { "tox.ini": "[tox]\nenvlist = django{42,60}\n" },
      cells: ["py3.11-dj4.2", "py3.13-dj6.0"],
      notes: ["tox env django42 names no Python version: using Python 3.11", "tox env django60 names no Python version: using Python 3.13"],
      line: 2,
    },
    {
      name: "setup.cfg [tox:tox]",
      files: { "setup.cfg": "[metadata]\nname = x\n\n[tox:tox]\nenvlist: py{311,313}-django52\n" },
      cells: ["py3.11-dj5.2", "py3.13-dj5.2"],
      notes: [],
      line: 5,
    },
    {
      name: "pyproject.toml legacy_tox_ini",
      files: { "pyproject.toml": `[project]\nname = "x"\n\n[tool.tox]\nlegacy_tox_ini = """\n[tox]\nenvlist =\n    py311-django{42,52}\n"""\n` },
      cells: ["py3.11-dj4.2", "py3.11-dj5.2"],
      notes: [],
      line: 7,
    },
    {
      name: "tox 4 ranges",
      files: { "tox.ini": "[tox]\nenvlist = py3{11-13}-django52\n" },
      cells: ["py3.11-dj5.2", "py3.12-dj5.2", "py3.13-dj5.2"],
      notes: [],
      line: 2,
    },
  ])("$name", ({ files, cells, notes, line }) => {
    const tox = matrixFromTox(reader(files), stockPlanning);
    expect(tox && keys(tox.cells)).toEqual(cells);
    expect(tox?.notes).toEqual(notes);
    expect(tox?.line).toBe(line);
  });

  it.each([
    ["no tox configuration at all", {}],
    ["setup.cfg without [tox:tox]", { "setup.cfg": "[metadata]\nname = x\n" }],
    ["a tox.ini without envlist", { "tox.ini": "[testenv]\ndeps = pytest\n" }],
    ["a pyproject without legacy_tox_ini", { "pyproject.toml": "[tool.tox]\nenv_list = [\"3.13\"]\n" }],
  ])("gives nothing for %s", (_name, files) => {
    expect(matrixFromTox(reader(files))).toBeUndefined();
  });

  it("reads tox.ini before setup.cfg", () => {
    const tox = matrixFromTox(reader({ "tox.ini": "[tox]\nenvlist = py311-django42\n", "setup.cfg": "[tox:tox]\nenvlist = py313-django52\n" }));
    expect(tox?.file).toBe("tox.ini");
  });
});

const depsIni = `[tox]
envlist = py{39,311}-django{42,52}, py312-djmain, lint

[base]
deps =
    factory-boy

[testenv]
deps =
    django42: Django>=4.2,<4.3
    django52: Django>=5.2,<5.3
    djmain: https://github.com/django/django/archive/main.tar.gz
    coverage[toml]  # always
    py311,py312: tomli
    !py39: typing-extensions
    django{42,50}: django-filter<24
    py311-django42: only-311-42
    -r{toxinidir}/requirements/test.txt
    {[base]deps}
    {env:EXTRA_DEP:pytest-randomly}
    {env:NO_DEFAULT}
    djangorestframework

[testenv:lint]
deps = ruff
`;

describe("test deps from tox", () => {
  it.each([
    [{ python: "3.9", django: "4.2" }, ["coverage[toml]", "django-filter<24", "-r requirements/test.txt", "factory-boy", "pytest-randomly", "djangorestframework"]],
    [{ python: "3.11", django: "4.2" }, ["coverage[toml]", "tomli", "typing-extensions", "django-filter<24", "only-311-42", "-r requirements/test.txt", "factory-boy", "pytest-randomly", "djangorestframework"]],
    [{ python: "3.11", django: "5.2" }, ["coverage[toml]", "tomli", "typing-extensions", "-r requirements/test.txt", "factory-boy", "pytest-randomly", "djangorestframework"]],
  ])("resolve factor conditions for %j and leave Django out", (cell, deps) => {
    const read = reader({ "tox.ini": depsIni });
    expect(toxDepsForCell(read, cell)).toEqual(deps);
    expect(matrixFromTox(read)?.envs.find((e) => e.cell && cellKey(e.cell) === cellKey(cell))?.deps).toEqual(deps);
  });

  it("match a cell no env names by the meaning of its factors", () => {
    expect(toxDepsForCell(reader({ "tox.ini": depsIni }), { python: "3.12", django: "5.0" })).toEqual([
      "coverage[toml]", "tomli", "typing-extensions", "django-filter<24", "-r requirements/test.txt", "factory-boy", "pytest-randomly", "djangorestframework",
    ]);
  });

  it("match differently spelled factors (dj42 env, django42 condition)", () => {
    const ini = "[tox]\nenvlist = py3.11-dj42\n[testenv]\ndeps =\n    django42: pytest-django<5\n    py311: tomli\n";
    expect(toxDepsForCell(reader({ "tox.ini": ini }), { python: "3.11", django: "4.2" })).toEqual(["pytest-django<5", "tomli"]);
  });

  it("prefer an env's own section, generative names included", () => {
    const ini = "[tox]\nenvlist = py{311,313}-django52\n[testenv]\ndeps = base\n[testenv:py{311,313}-django52]\ndeps =\n    Django~=5.2.0\n    own\n";
    expect(toxDepsForCell(reader({ "tox.ini": ini }), { python: "3.13", django: "5.2" })).toEqual(["own"]);
  });

  it.each([
    ["Django>=4.2", true], ["django~=5.2.0", true], ["Django[argon2]==5.2", true], ["django ; python_version<'3.12'", true], ["Django", true],
    ["django-filter", false], ["djangorestframework", false], ["pytest-django", false], ["https://github.com/django/django/archive/main.tar.gz", true],
  ])("recognise %s as Django itself: %s", (line, dropped) => {
    const ini = `[tox]\nenvlist = py311-django42\n[testenv]\ndeps =\n    ${line}\n`;
    expect(toxDepsForCell(reader({ "tox.ini": ini }), { python: "3.11", django: "4.2" })).toEqual(dropped ? [] : [line]);
  });

  it("are undefined without tox", () => {
    expect(toxDepsForCell(reader({}), { python: "3.11", django: "4.2" })).toBeUndefined();
  });
});

import { describe, expect, it } from "@jest/globals";
import { RepoConfigError } from "../../src/builds/config/repo-config-error.js";
import { locateTomlKey, readPyproject } from "../../src/builds/matrix/read-pyproject.js";

const pyproject = String.raw`# top comment
name-at-root = "root"

[build-system]
requires = ["setuptools>=61", 'wheel']
build-backend = "setuptools.build_meta"

[project]
name = "django-thing"
version = "1.0"          # trailing comment
requires-python = ">=3.10"
description = """A "thing"
for Django"""
license = { text = "MIT" }   # inline table
authors = [{ name = "A, B", email = "a@example.com" }]
dynamic = []
readme.file = "README.md"
"quoted.key" = 'literal \n stays'
escaped = "tab\there \u00e9 \"q\""
classifiers = [
    "Framework :: Django",  # a comment inside
    "Framework :: Django :: 4.2",

    'Programming Language :: Python :: 3.11',
    "Programming Language :: Python :: 3.13",   # trailing comma next
]
after = "still read"
"dotted.quoted".key = "x"

[[tool.mypy.overrides]]
module = "ignored"

[tool.tox]
legacy_tox_ini = '''
[tox]
envlist = py311
'''
continued = """\
    joined \
    line"""
`;

describe("readPyproject", () => {
  const doc = readPyproject(pyproject);

  it.each<[string[], string, number]>([
    [["name-at-root"], "root", 2],
    [["project", "name"], "django-thing", 9],
    [["project", "version"], "1.0", 10],
    [["project", "description"], 'A "thing"\nfor Django', 12],
    [["project", "readme", "file"], "README.md", 17],
    [["project", "quoted.key"], "literal \\n stays", 18],
    [["project", "escaped"], 'tab\there é "q"', 19],
    [["project", "after"], "still read", 27],
    [["project", "dotted.quoted", "key"], "x", 28],
    [["tool", "tox", "legacy_tox_ini"], "[tox]\nenvlist = py311\n", 34],
    [["tool", "tox", "continued"], "joined line", 38],
  ])("reads the string %j and its line", (path, value, line) => {
    expect(doc.string(path)).toMatchObject({ value, line });
  });

  it.each<[string[], string[] | undefined, number | undefined]>([
    [["build-system", "requires"], ["setuptools>=61", "wheel"], 5],
    [["project", "classifiers"], ["Framework :: Django", "Framework :: Django :: 4.2", "Programming Language :: Python :: 3.11", "Programming Language :: Python :: 3.13"], 20],
    [["project", "authors"], [], 15],
    [["project", "dynamic"], [], 16],
    [["project", "license"], undefined, undefined],
    [["project", "missing"], undefined, undefined],
  ])("reads the strings of %j", (path, value, line) => {
    const entry = doc.strings(path);
    expect(entry?.value).toEqual(value);
    expect(entry?.line).toBe(line);
  });

  it("gives the line where a multi-line string's text starts", () => {
    expect(doc.string(["tool", "tox", "legacy_tox_ini"])?.valueLine).toBe(35);
  });

  it("does not read the insides of multi-line strings or array tables as keys", () => {
    expect(locateTomlKey(pyproject, ["tox", "envlist"])).toBeUndefined();
    expect(locateTomlKey(pyproject, ["tool", "tox", "envlist"])).toBeUndefined();
    expect(locateTomlKey(pyproject, ["tool", "mypy", "overrides", "module"])).toEqual({ line: 31, valueLine: 31 });
    expect(doc.string(["tool", "mypy", "overrides", "module"])).toBeUndefined();
  });

  it.each([
    ['[project]\nclassifiers = [ "unterminated\nafter = 1\n', 2],
    ["[project]\nname = 'a'\nname = 'b'\n", 3],
    ["x = 1\n[unclosed\n", 2],
  ])("names the line of invalid TOML", (text, line) => {
    let thrown: unknown;
    try {
      readPyproject(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RepoConfigError);
    expect(thrown).toMatchObject({ file: "pyproject.toml", line });
    expect((thrown as Error).message).toMatch(new RegExp(`^pyproject.toml line ${line}: not valid TOML: `));
  });
});

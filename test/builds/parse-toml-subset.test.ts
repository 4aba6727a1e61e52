import { describe, expect, it } from "@jest/globals";
import { parseIni } from "../../src/builds/matrix/parse-ini.js";
import { parseTomlSubset } from "../../src/builds/matrix/parse-toml-subset.js";

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
license = { text = "MIT" }   # inline table, skipped
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
broken = [ "unterminated
after-broken = "still read"

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

describe("parseTomlSubset", () => {
  const entries = parseTomlSubset(pyproject);

  it.each([
    ["name-at-root", "root", 2],
    ["build-system.requires", ["setuptools>=61", "wheel"], 5],
    ["project.name", "django-thing", 9],
    ["project.version", "1.0", 10],
    ["project.description", 'A "thing"\nfor Django', 12],
    ["project.license", undefined, 14],
    ["project.authors", [undefined], 15],
    ["project.dynamic", [], 16],
    ["project.readme.file", "README.md", 17],
    ["project.quoted.key", "literal \\n stays", 18],
    ["project.escaped", 'tab\there é "q"', 19],
    ["project.classifiers", ["Framework :: Django", "Framework :: Django :: 4.2", "Programming Language :: Python :: 3.11", "Programming Language :: Python :: 3.13"], 20],
    ["project.after-broken", "still read", 28],
    ["tool.tox.legacy_tox_ini", "[tox]\nenvlist = py311\n", 34],
    ["tool.tox.continued", "joined line", 38],
  ])("reads %s", (key, value, line) => {
    expect(entries.get(key)).toMatchObject({ value, line });
  });

  it("skips keys of array tables and statements it cannot read", () => {
    expect(entries.has("tool.mypy.overrides.module")).toBe(false);
    expect(entries.has("module")).toBe(false);
    expect(entries.has("project.broken")).toBe(false);
  });

  it("gives the line where a multi-line string's text starts", () => {
    expect(entries.get("tool.tox.legacy_tox_ini")?.valueLine).toBe(35);
  });

  it("survives garbage", () => {
    expect(() => parseTomlSubset("[unclosed\n= = =\n\"\"\"\n[ok]\nx = 'y'\n")).not.toThrow();
    expect(parseTomlSubset("[unclosed\nx = 1\n[ok]\nx = 'y'\n").get("ok.x")?.value).toBe("y");
    expect(parseTomlSubset("[unclosed\nx = 'z'\n").size).toBe(0);
  });
});

describe("parseIni", () => {
  it("reads sections, both delimiters, continuation lines and comments", () => {
    const sections = parseIni("; top\n[tox]\nEnvList = a,\n  # comment inside\n    b\n\n[testenv:x]\ndeps: one\nstray line\n", { lineOffset: 10 });
    expect(sections.map((s) => [s.name, s.line])).toEqual([["tox", 12], ["testenv:x", 17]]);
    expect(sections[0]?.entries.get("envlist")?.lines).toEqual([{ text: "a,", line: 13 }, { text: "b", line: 15 }]);
    expect(sections[1]?.entries.get("deps")?.lines).toEqual([{ text: "one", line: 18 }]);
  });
});

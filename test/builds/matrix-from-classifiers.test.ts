import { describe, expect, it } from "@jest/globals";
import { matrixFromClassifiers } from "../../src/builds/matrix/matrix-from-classifiers.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];

const pyproject = `[project]
name = "django-widget"
classifiers = [
  "Development Status :: 5 - Production/Stable",
  "Framework :: Django",
  "Framework :: Django :: 5.2",
  "Framework :: Django :: 4.2",
  "Programming Language :: Python :: 3",
  "Programming Language :: Python :: 3 :: Only",
  "Programming Language :: Python :: 3.13",
  "Programming Language :: Python :: 3.11",
  "Programming Language :: Python :: Implementation :: CPython",
]
`;

const setupCfg = `[metadata]
name = django-widget
classifiers =
    Framework :: Django :: 3.2
    Programming Language :: Python :: 3.9
    Programming Language :: Python :: 3.10
`;

describe("matrixFromClassifiers", () => {
  it.each([
    {
      name: "pyproject.toml, versions sorted, bare classifiers ignored",
      files: { "pyproject.toml": pyproject },
      expected: { file: "pyproject.toml", line: 3, python: ["3.11", "3.13"], django: ["4.2", "5.2"], notes: [],
        cells: [{ python: "3.11", django: "4.2" }, { python: "3.11", django: "5.2" }, { python: "3.13", django: "4.2" }, { python: "3.13", django: "5.2" }] },
    },
    {
      name: "setup.cfg [metadata]",
      files: { "setup.cfg": setupCfg },
      expected: { file: "setup.cfg", line: 3, python: ["3.9", "3.10"], django: ["3.2"], notes: [],
        cells: [{ python: "3.9", django: "3.2" }, { python: "3.10", django: "3.2" }] },
    },
    {
      name: "pyproject.toml before setup.cfg",
      files: { "pyproject.toml": pyproject, "setup.cfg": setupCfg },
      expected: { file: "pyproject.toml" },
    },
    {
      name: "setup.cfg when pyproject.toml has no version classifiers",
      files: { "pyproject.toml": '[project]\nclassifiers = ["Framework :: Django"]\n', "setup.cfg": setupCfg },
      expected: { file: "setup.cfg" },
    },
    {
      name: "Python versions without Django versions",
      files: { "pyproject.toml": '[project]\nclassifiers = ["Programming Language :: Python :: 3.12"]\n' },
      expected: { cells: [], notes: ['pyproject.toml classifiers name Python versions but no "Framework :: Django :: X.Y" version: not used'] },
    },
  ])("$name", ({ files, expected }) => {
    expect(matrixFromClassifiers(reader(files))).toMatchObject(expected);
  });

  it.each([
    ["no files", {}],
    ["dynamic classifiers", { "pyproject.toml": '[project]\ndynamic = ["classifiers"]\n' }],
    ["classifiers in another table", { "pyproject.toml": '[tool.poetry]\nclassifiers = ["Framework :: Django :: 4.2"]\n' }],
  ])("gives nothing for %s", (_name, files) => {
    expect(matrixFromClassifiers(reader(files))).toBeUndefined();
  });
});

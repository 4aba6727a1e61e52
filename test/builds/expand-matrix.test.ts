import { describe, expect, it } from "@jest/globals";
import type { Cell } from "../../src/domain/cell.js";
import { RepoConfigError } from "../../src/builds/config/repo-config-error.js";
import { expandMatrix, type MatrixSpec } from "../../src/builds/matrix/expand-matrix.js";
import { stockPlanning, testDjangoSupport } from "../support/django-support-table.js";

const all = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"];

function thrown(run: () => unknown): RepoConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof RepoConfigError) return error;
    throw error;
  }
  throw new Error("expected a RepoConfigError");
}

describe("expandMatrix", () => {
  it.each<{ name: string; spec: MatrixSpec; cells: Cell[] }>([
    {
      name: "cross product, Python outermost",
      spec: { python: ["3.11", "3.12"], django: ["4.2", "5.2"] },
      cells: [
        { python: "3.11", django: "4.2" }, { python: "3.11", django: "5.2" },
        { python: "3.12", django: "4.2" }, { python: "3.12", django: "5.2" },
      ],
    },
    {
      name: "exclude by one key removes every match",
      spec: { python: ["3.11", "3.12"], django: ["4.2", "5.2"], exclude: [{ django: "4.2" }] },
      cells: [{ python: "3.11", django: "5.2" }, { python: "3.12", django: "5.2" }],
    },
    {
      name: "include of a new pair adds a cell",
      spec: { python: ["3.11"], django: ["4.2"], include: [{ python: "3.13", django: "6.0" }] },
      cells: [{ python: "3.11", django: "4.2" }, { python: "3.13", django: "6.0" }],
    },
    {
      name: "include extra keys become vars of the cells they match",
      spec: { python: ["3.11", "3.12"], django: ["5.2"], include: [{ python: "3.12", DATABASE: "postgres" }] },
      cells: [{ python: "3.11", django: "5.2" }, { python: "3.12", django: "5.2", vars: { DATABASE: "postgres" } }],
    },
    {
      name: "include with only extra keys decorates every cell",
      spec: { python: ["3.11"], django: ["4.2", "5.2"], include: [{ COVERAGE: "1" }] },
      cells: [{ python: "3.11", django: "4.2", vars: { COVERAGE: "1" } }, { python: "3.11", django: "5.2", vars: { COVERAGE: "1" } }],
    },
    {
      name: "include-only matrix",
      spec: { include: [{ python: "3.13", django: "6.0" }, { python: "3.11", django: "4.2", SLOW: "yes" }] },
      cells: [{ python: "3.13", django: "6.0" }, { python: "3.11", django: "4.2", vars: { SLOW: "yes" } }],
    },
  ])("$name", ({ spec, cells }) => {
    expect(expandMatrix(spec, { availablePython: all, djangoSupport: testDjangoSupport })).toEqual({ cells, notes: [] });
  });

  it.each<{ name: string; spec: MatrixSpec; cells: Cell[]; notes: string[] }>([
    {
      name: "Django not supporting the Python",
      spec: { python: ["3.9", "3.11"], django: ["4.2", "5.2"] },
      cells: [{ python: "3.9", django: "4.2" }, { python: "3.11", django: "4.2" }, { python: "3.11", django: "5.2" }],
      notes: ["Django 5.2 does not support Python 3.9: left out"],
    },
    {
      name: "Python without an image on this installation (one note per version)",
      spec: { python: ["3.11", "3.12"], django: ["4.2", "5.2"] },
      cells: [{ python: "3.11", django: "4.2" }, { python: "3.11", django: "5.2" }],
      notes: ["Python 3.12 is missing on this installation (it has 3.9, 3.11, 3.13): left out; add it with `ponyci images add 3.12`"],
    },
    {
      name: "a Django release missing from the table",
      spec: { python: ["3.13"], django: ["5.2", "6.1"] },
      cells: [{ python: "3.13", django: "5.2" }],
      notes: ["Django 6.1 has no release on the package index (series known: 3.2, 4.0, 4.1, 4.2, 5.0, 5.1, 5.2, 6.0; from test): left out"],
    },
    {
      name: "the same pair included twice",
      spec: { include: [{ python: "3.13", django: "6.0" }, { python: "3.13", django: "6.0", X: "1" }] },
      cells: [{ python: "3.13", django: "6.0" }],
      notes: ["Python 3.13 · Django 6.0 is listed twice: kept once"],
    },
  ])("leaves out $name with a note", ({ spec, cells, notes }) => {
    expect(expandMatrix(spec, stockPlanning)).toEqual({ cells, notes });
  });

  it("leaves no Python out for its image when the installation's list is not given (every image can be built)", () => {
    const { cells } = expandMatrix({ python: ["3.9", "3.10", "3.11", "3.12", "3.13"], django: ["4.2"] }, { djangoSupport: testDjangoSupport });
    expect(cells.map((c) => c.python)).toEqual(["3.9", "3.10", "3.11", "3.12"]);
  });

  it("refuses more cells than the cap, pointing at the matrix", () => {
    const spec: MatrixSpec = { python: ["3.10", "3.11", "3.12"], django: ["4.2", "5.0", "5.1", "5.2"], lines: { python: 3, django: 4 } };
    expect(expandMatrix(spec, { availablePython: all, djangoSupport: testDjangoSupport, maxCells: 12 }).cells).toHaveLength(12);
    const error = thrown(() => expandMatrix(spec, { availablePython: all, djangoSupport: testDjangoSupport, maxCells: 11 }));
    expect(error).toMatchObject({ file: ".github/ponyci.yml", line: 3 });
    expect(error.message).toBe(
      ".github/ponyci.yml: the matrix has 12 cells, but Pony CI runs at most 11 per commit. List fewer Python or Django versions, or leave some combinations out with `exclude:`.",
    );
  });

  it("has a default cap of 24 cells", () => {
    const spec: MatrixSpec = { python: all, django: ["3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0"] };
    expect(thrown(() => expandMatrix(spec, { availablePython: all, djangoSupport: testDjangoSupport })).message).toMatch(/has 26 cells, but Pony CI runs at most 24/);
    expect(expandMatrix(spec, { availablePython: all, djangoSupport: testDjangoSupport, maxCells: 26 }).cells).toHaveLength(26);
  });

  it("refuses a matrix that leaves no cell, saying why", () => {
    const error = thrown(() => expandMatrix({ python: ["3.9"], django: ["6.0"], lines: { python: 2 } }, { ...stockPlanning, file: ".github/ponyci.yaml" }));
    expect(error).toMatchObject({ file: ".github/ponyci.yaml", line: 2 });
    expect(error.message).toBe(
      ".github/ponyci.yaml: the matrix leaves no cell to run (Django 6.0 does not support Python 3.9: left out). Pick Django versions that support the Python versions this installation has (3.9, 3.11, 3.13).",
    );
  });

  it.each<{ spec: MatrixSpec; line: number; missing: string; where: string }>([
    { spec: { python: ["3.11"], include: [], lines: { python: 5 } }, line: 5, missing: "django", where: "the matrix" },
    { spec: { python: ["3.11"], django: ["4.2"], include: [{ python: "3.13" }], lines: { python: 1, include: [7] } }, line: 7, missing: "django", where: "include entry 1 adds a combination that" },
    { spec: { django: ["4.2"], include: [{ django: "4.2", X: "1" }, { django: "5.2" }], lines: { django: 1, include: [3, 4] } }, line: 1, missing: "python", where: "the matrix" },
  ])("refuses a combination without $missing (line $line)", ({ spec, line, missing, where }) => {
    const error = thrown(() => expandMatrix(spec, { availablePython: all, djangoSupport: testDjangoSupport }));
    expect(error.line).toBe(line);
    expect(error.message).toContain(`${where} has no ${missing} version`);
  });
});

import { describe, expect, it } from "@jest/globals";
import { cellName } from "../../src/domain/cell.js";
import { comparePythonNames, parsePythonName, pythonTitle, toxPythonFactor } from "../../src/domain/python-name.js";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { testDjangoSupport } from "../support/django-support-table.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
/** An installation with CPython 3.11, 3.13 and PyPy 3.9, 3.11 (Debian bookworm's and trixie's pypy3). */
const installation = { availablePython: ["3.11", "3.13", "pypy3.9", "pypy3.11"], djangoSupport: testDjangoSupport };

describe("PyPy names", () => {
  it("reads, titles, orders and names them as tox does", () => {
    expect(parsePythonName("pypy3.11")).toEqual({ implementation: "pypy", version: "3.11" });
    expect(parsePythonName("3.12")).toEqual({ implementation: "cpython", version: "3.12" });
    expect(parsePythonName("pypy2.7")).toBeUndefined();
    expect(parsePythonName("pypy3.11; rm -rf /")).toBeUndefined();
    expect(pythonTitle("pypy3.11")).toBe("PyPy 3.11");
    expect(pythonTitle("3.12")).toBe("Python 3.12");
    expect(toxPythonFactor("pypy3.10")).toBe("pypy310");
    expect(toxPythonFactor("3.13")).toBe("py313");
    expect(["pypy3.11", "3.13", "pypy3.9", "3.9"].sort(comparePythonNames)).toEqual(["3.9", "3.13", "pypy3.9", "pypy3.11"]);
    expect(cellName({ python: "pypy3.11", django: "5.2" })).toBe("PyPy 3.11 · Django 5.2");
  });
});

describe("planMatrix with PyPy in the tox envlist", () => {
  it("plans PyPy cells against the Django series whose Pythons include the version PyPy implements, and names their tox env", () => {
    const plan = planMatrix(reader({ "tox.ini": "[tox]\nenvlist = py311-django{42,52}, pypy{39,311}-django{42,52}\n[testenv]\ndeps = pytest\n" }), installation);
    expect(plan.source).toBe("tox");
    expect(plan.cells).toEqual([
      { python: "3.11", django: "4.2" },
      { python: "3.11", django: "5.2" },
      { python: "pypy3.9", django: "4.2" },
      { python: "pypy3.11", django: "4.2" },
      { python: "pypy3.11", django: "5.2" },
    ]);
    // Django 5.2 needs Python 3.10+: PyPy 3.9 is left out, and the note says PyPy.
    expect(plan.notes).toContain("Django 5.2 does not support PyPy 3.9: left out");
    expect(plan.toxFor?.({ python: "pypy3.11", django: "5.2" })?.env.TOX_ENV_NAME).toBe("pypy311-django52");
  });

  it("`pypy3` takes the newest PyPy the installation has that the Django release supports", () => {
    const plan = planMatrix(reader({ "tox.ini": "[tox]\nenvlist = pypy3-django{42,52}\n" }), installation);
    expect(plan.cells).toEqual([{ python: "pypy3.11", django: "4.2" }, { python: "pypy3.11", django: "5.2" }]);
    expect(plan.notes).toContain("tox env pypy3-django42 names PyPy with no version: using PyPy 3.11");
  });

  it("leaves out a PyPy the installation lacks, naming the command that adds it", () => {
    const plan = planMatrix(reader({ "tox.ini": "[tox]\nenvlist = py313-django52, pypy310-django52\n" }), installation);
    expect(plan.cells).toEqual([{ python: "3.13", django: "5.2" }]);
    expect(plan.notes.join("\n")).toContain("PyPy 3.10 is missing on this installation (it has 3.11, 3.13, pypy3.9, pypy3.11): left out; add it with `ponyci images add pypy3.10`");
  });

  it("plans no PyPy when the project does not ask: the default matrix and Django-only envs stay on CPython", () => {
    expect(planMatrix(reader({}), installation).cells.every((cell) => !cell.python.startsWith("pypy"))).toBe(true);
    const plan = planMatrix(reader({ "tox.ini": "[tox]\nenvlist = django52\n" }), installation);
    expect(plan.cells).toEqual([{ python: "3.13", django: "5.2" }]);
  });
});

describe("planMatrix with PyPy in .github/ponyci.yml", () => {
  it("takes pypy3.X in the python list, as tox and uv write it", () => {
    const plan = planMatrix(reader({ ".github/ponyci.yml": 'python: ["3.13", "pypy3.11"]\ndjango: ["5.2"]\n' }), installation);
    expect(plan.cells).toEqual([{ python: "3.13", django: "5.2" }, { python: "pypy3.11", django: "5.2" }]);
  });
});

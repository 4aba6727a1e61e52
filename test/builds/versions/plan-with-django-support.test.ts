import { describe, expect, it } from "@jest/globals";
import { cellKey } from "../../../src/domain/cell.js";
import { planMatrix } from "../../../src/builds/plan-matrix.js";
import { parseDjangoSupport, shippedDjangoSupport, type DjangoSupportTable } from "../../../src/builds/versions/django-support.js";
import { testDjangoSupport } from "../../support/django-support-table.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
const tox = (envlist: string) => reader({ "tox.ini": `[tox]\nenvlist = ${envlist}\n` });

/** testDjangoSupport plus what the index shows later: 6.1 final, a 6.2 release candidate. */
const later: DjangoSupportTable = {
  ...testDjangoSupport,
  series: {
    ...testDjangoSupport.series,
    "6.1": { python: ["3.12", "3.13", "3.14", "3.15"], latest: "6.1.3" },
    "6.2": { python: ["3.12", "3.13", "3.14", "3.15"], latest: "6.2rc1", prerelease: true },
  },
};

describe("planning with Django's support table as data", () => {
  it("py{310..314}-django{42,52,60,61} gets every cell Django supports (shipped snapshot)", () => {
    const plan = planMatrix(tox("py{310,311,312,313,314}-django{42,52,60,61}"), { djangoSupport: shippedDjangoSupport() });
    expect(plan.cells.map(cellKey)).toEqual([
      "py3.10-dj4.2", "py3.10-dj5.2", "py3.11-dj4.2", "py3.11-dj5.2",
      "py3.12-dj4.2", "py3.12-dj5.2", "py3.12-dj6.0", "py3.12-dj6.1",
      "py3.13-dj5.2", "py3.13-dj6.0", "py3.13-dj6.1",
      "py3.14-dj5.2", "py3.14-dj6.0", "py3.14-dj6.1",
    ]);
    expect(plan.notes).toContain("Django 6.0 does not support Python 3.10: left out");
  });

  it("a series that appears in the table is planned with no code change; before, the note says where the table came from", () => {
    const before = planMatrix(tox("py313-django{52,61}"), { djangoSupport: testDjangoSupport });
    expect(before.cells.map(cellKey)).toEqual(["py3.13-dj5.2"]);
    expect(before.notes).toEqual(["Django 6.1 has no release on the package index (series known: 3.2, 4.0, 4.1, 4.2, 5.0, 5.1, 5.2, 6.0; from test): left out"]);
    expect(planMatrix(tox("py313-django{52,61}"), { djangoSupport: later }).cells.map(cellKey)).toEqual(["py3.13-dj5.2", "py3.13-dj6.1"]);
  });

  it("a pre-release series is planned when a project names it, never by default", () => {
    expect(planMatrix(tox("py314-django62"), { djangoSupport: later }).cells.map(cellKey)).toEqual(["py3.14-dj6.2"]);
    const table: DjangoSupportTable = { ...later, series: { ...later.series, "6.2": { python: ["3.12", "3.13", "3.14"], latest: "6.2a1", prerelease: true } } };
    const plan = planMatrix(reader({}), { djangoSupport: table, availablePython: ["3.12", "3.13", "3.14"] });
    expect(plan.source).toBe("default");
    expect(plan.cells.map(cellKey)).toEqual(["py3.13-dj5.2", "py3.14-dj5.2"]);
  });

  it("the default matrix follows the table: the two newest LTS series (X.2) once they are final", () => {
    const table: DjangoSupportTable = { ...later, series: { ...later.series, "6.2": { python: ["3.12", "3.13", "3.14", "3.15"], latest: "6.2" } } };
    const plan = planMatrix(reader({}), { djangoSupport: table, availablePython: ["3.11", "3.13", "3.14", "3.15"] });
    expect(plan.cells.map(cellKey)).toEqual(["py3.14-dj5.2", "py3.14-dj6.2", "py3.15-dj6.2"]);
  });

  it("a project naming no Python gets the Pythons with an image already; one naming a Python the installation can add gets it", () => {
    const pythons = { djangoSupport: later, availablePython: ["3.10", "3.11", "3.12", "3.13", "3.14"], installedPython: ["3.11", "3.13"] };
    expect(planMatrix(reader({}), pythons).cells.map(cellKey)).toEqual(["py3.11-dj4.2", "py3.11-dj5.2", "py3.13-dj5.2"]);
    expect(planMatrix(tox("django61"), pythons).cells.map(cellKey)).toEqual(["py3.13-dj6.1"]);
    expect(planMatrix(tox("py{310,314}-django52"), pythons).cells.map(cellKey)).toEqual(["py3.10-dj5.2", "py3.14-dj5.2"]);
  });

  it("a missing Python names the version and the one command that adds it", () => {
    const plan = planMatrix(tox("py{312,313}-django61"), { djangoSupport: later, availablePython: ["3.13"] });
    expect(plan.cells.map(cellKey)).toEqual(["py3.13-dj6.1"]);
    expect(plan.notes).toEqual(["Python 3.12 is missing on this installation (it has 3.13): left out; add it with `ponyci images add 3.12`"]);
  });
});

describe("parseDjangoSupport", () => {
  it.each([
    ["[]", /no `series` object/],
    ['{"series": {"five": {"python": []}}}', /series "five" is not "major.minor"/],
    ['{"series": {"5.2": {"python": "3.12"}}}', /`python` must be a list/],
    ['{"series": {"5.2": {"python": ["3.12; rm -rf /"]}}}', /`python` must be a list/],
    ["{", /is not JSON/],
  ])("refuses %s", (text, message) => {
    expect(() => parseDjangoSupport(text, "t.json")).toThrow(message);
  });

  it("keeps only the known fields, sorted; an odd `latest` falls back to the series", () => {
    expect(parseDjangoSupport('{"series": {"5.2": {"python": ["3.13", "3.10", "3.13"], "latest": "../x", "extra": 1}}}', "t.json").series).toEqual({ "5.2": { python: ["3.10", "3.13"], latest: "5.2" } });
  });
});

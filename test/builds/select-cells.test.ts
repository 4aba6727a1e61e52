import { describe, expect, it } from "@jest/globals";
import { selectCells } from "../../src/builds/select-cells.js";

describe("selectCells (ponyci run's --python/--django)", () => {
  const onPostgres = { source: "default", cells: [{ python: "3.11", django: "4.2", database: "postgres" as const }, { python: "3.13", django: "5.2", database: "postgres" as const }] };

  it("keeps the plan's database axis in the flags' cross product", () => {
    expect(selectCells(onPostgres, { python: ["3.11"], django: ["5.2"] }).cells).toEqual([{ python: "3.11", django: "5.2", database: "postgres" }]);
  });

  it("multiplies by every database of the plan, and keeps a plan without one as it was", () => {
    const mixed = { source: "tox", cells: [{ python: "3.13", django: "5.2", database: "sqlite" as const }, { python: "3.13", django: "5.2", database: "mariadb" as const }] };
    expect(selectCells(mixed, { python: ["3.11"] }).cells).toEqual([
      { python: "3.11", django: "5.2", database: "sqlite" },
      { python: "3.11", django: "5.2", database: "mariadb" },
    ]);
    expect(selectCells({ source: "default", cells: [{ python: "3.13", django: "5.2" }] }, { python: ["3.11"] }).cells).toEqual([{ python: "3.11", django: "5.2" }]);
  });

  it("narrows a repository's matrix to its matching cells, databases and all", () => {
    const tox = { source: "tox", cells: [...onPostgres.cells, { python: "3.11", django: "4.2", database: "sqlite" as const }] };
    expect(selectCells(tox, { django: ["4.2"] })).toEqual({ source: "tox, narrowed by flags", cells: [tox.cells[0], tox.cells[2]], notes: [] });
  });
});

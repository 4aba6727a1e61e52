import { describe, expect, it } from "@jest/globals";
import { serviceOfImage, servicesFromWorkflows } from "../../src/builds/matrix/services-from-workflows.js";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { planJobSpec } from "../../src/builds/plan-job-spec.js";
import { cellName } from "../../src/domain/cell.js";

/** A repository's files, `.github/workflows/` listed as the readers list a directory. */
function reader(files: Record<string, string>) {
  return (path: string) => {
    if (path.endsWith("/")) {
      const names = Object.keys(files).filter((f) => f.startsWith(path) && !f.slice(path.length).includes("/")).map((f) => f.slice(path.length));
      return names.length > 0 ? names.join("\n") : undefined;
    }
    return files[path];
  };
}

const workflow = `
env:
  POSTGRES_USER: postgres
  POSTGRES_PASSWORD: postgres
jobs:
  lint:
    runs-on: ubuntu-latest
  test:
    env:
      DJANGO_SETTINGS_MODULE: tests.settings
      TOKEN: \${{ secrets.TOKEN }}
      GITHUB_TOKEN: x
    services:
      cache:
        image: redis:7
      db:
        image: postgres:15-alpine
        env:
          POSTGRES_USER: \${{ env.POSTGRES_USER }}
          POSTGRES_DB: app
`;

describe("database services from GitHub Actions workflows (zero config)", () => {
  it("takes the database images of the first job with services, and the literal env around them", () => {
    expect(servicesFromWorkflows(reader({ ".github/workflows/test.yml": workflow }))).toEqual({
      file: ".github/workflows/test.yml",
      services: [{ name: "postgres", args: [] }],
      env: { POSTGRES_USER: "postgres", POSTGRES_DB: "app", POSTGRES_PASSWORD: "postgres", DJANGO_SETTINGS_MODULE: "tests.settings" },
    });
  });

  it.each([
    ["postgres:15-alpine", "postgres"],
    ["postgis/postgis:16-3.4", "postgis"],
    ["ghcr.io/baosystems/postgis:15", "postgis"],
    ["mysql:8.0", "mariadb"],
    ["mariadb:11@sha256:abc", "mariadb"],
    ["redis:7", undefined],
  ])("image %s runs %s", (image, service) => {
    expect(serviceOfImage(image)).toBe(service);
  });

  it("passes over broken YAML, alias bombs and other files; nothing without a workflows directory", () => {
    // A working workflow but for its 101 aliases (each could be a billion laughs' level): not read at all.
    const aliases = (n: number) => `x: &x 1\nlaughs: [${Array(n).fill("*x").join(", ")}]\n${workflow}`;
    const bomb = aliases(101);
    expect(servicesFromWorkflows(reader({ ".github/workflows/b.yml": aliases(99) }))?.services).toEqual([{ name: "postgres", args: [] }]);
    expect(servicesFromWorkflows(reader({ ".github/workflows/a.yml": "jobs: [\n", ".github/workflows/b.yml": bomb, ".github/workflows/notes.txt": workflow }))).toBeUndefined();
    expect(servicesFromWorkflows(reader({}))).toBeUndefined();
  });

  it("plans every cell beside the workflow's service, with its env under tox's and the config's; the config's services win", () => {
    const plan = planMatrix(reader({ ".github/workflows/test.yml": workflow }), { availablePython: ["3.11"] });
    expect(plan.cells.map(cellName)).toEqual(["Python 3.11 · Django 4.2 · PostgreSQL", "Python 3.11 · Django 5.2 · PostgreSQL"]);
    expect(plan.notes).toContain(".github/workflows/test.yml starts postgres for its tests: the cells run beside it, with that job's env");
    const spec = planJobSpec(plan, plan.cells[0]!);
    expect(spec.services).toEqual([{ name: "postgres", args: [] }]);
    expect(spec.env).toMatchObject({ POSTGRES_USER: "postgres", POSTGRES_DB: "app" });
    const configured = planMatrix(reader({ ".github/workflows/test.yml": workflow, ".github/ponyci.yml": "services: [mariadb]\nenv:\n  POSTGRES_DB: mine\n" }), { availablePython: ["3.11"] });
    expect(configured.cells.map((c) => c.database)).toEqual(["mariadb", "mariadb"]);
    expect(planJobSpec(configured, configured.cells[0]!).env.POSTGRES_DB).toBe("mine");
  });
});

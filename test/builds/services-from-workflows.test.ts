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
      envByService: { postgres: { POSTGRES_USER: "postgres", POSTGRES_DB: "app", POSTGRES_PASSWORD: "postgres", DJANGO_SETTINGS_MODULE: "tests.settings" } },
    });
  });

  // django-debug-toolbar's test.yml and tox.ini, cut down: one job per database, the host and port in the
  // "Test with tox" step's env, tox's `DB_HOST = {env:DB_HOST:localhost}` (MySQL's client takes "localhost"
  // for its Unix socket, which the service's container does not share: the cell failed with error 2002).
  const perDatabase = {
    ".github/workflows/test.yml": `
jobs:
  mysql:
    services:
      mariadb:
        image: mariadb:11.8
        env:
          MARIADB_ROOT_PASSWORD: debug_toolbar
    steps:
      - uses: actions/checkout@v4
      - name: Install dependencies
        run: python -m pip install tox
        env:
          PIP_INDEX_URL: https://mirror.example/simple
      - name: Test with tox
        run: tox
        env:
          DB_USER: root
          DB_PASSWORD: debug_toolbar
          DB_HOST: 127.0.0.1
          DB_PORT: 3306
          COVERAGE_FILE: ".coverage.mysql.\${{ matrix.python-version }}"
  postgres:
    services:
      postgres:
        image: postgis/postgis:17-3.5
        env:
          POSTGRES_USER: debug_toolbar
          POSTGRES_PASSWORD: debug_toolbar
    steps:
      - name: Test with tox
        run: |
          python -m tox
        env:
          DB_BACKEND: \${{ matrix.database }}
          DB_HOST: localhost
          DB_PORT: 5432
`,
    "tox.ini": `[tox]
envlist = py311-dj52-{sqlite,postgresql,postgis,mysql}
[testenv]
deps =
    dj52: django~=5.2.0
setenv =
    DB_USER = {env:DB_USER:debug_toolbar}
    DB_HOST = {env:DB_HOST:localhost}
commands = python -m django test tests
[testenv:py311-dj52-mysql]
setenv =
    {[testenv]setenv}
    DB_BACKEND = mysql
    DB_PORT = {env:DB_PORT:3306}
[testenv:py311-dj52-{postgresql,postgis}]
setenv =
    {[testenv]setenv}
    DB_BACKEND = postgresql
    DB_PORT = {env:DB_PORT:5432}
`,
  };

  it("gives each database's cells the env of the job that starts that database, its test step's env included", () => {
    const found = servicesFromWorkflows(reader(perDatabase));
    expect(found?.services).toEqual([{ name: "mariadb", args: [] }]);
    expect(found?.envByService).toEqual({
      mariadb: { MARIADB_ROOT_PASSWORD: "debug_toolbar", DB_USER: "root", DB_PASSWORD: "debug_toolbar", DB_HOST: "127.0.0.1", DB_PORT: "3306" },
      postgis: { POSTGRES_USER: "debug_toolbar", POSTGRES_PASSWORD: "debug_toolbar", DB_HOST: "localhost", DB_PORT: "5432" },
    });
    const plan = planMatrix(reader(perDatabase), { availablePython: ["3.11"] });
    const byDatabase = Object.fromEntries(plan.cells.map((cell) => [cell.database ?? "sqlite", planJobSpec(plan, cell)]));
    expect(Object.keys(byDatabase).sort()).toEqual(["mariadb", "postgis", "postgres", "sqlite"]);
    // tox's {env:…} sees the job's variables, as tox does under GitHub's step env.
    expect(byDatabase.mariadb?.commands?.env).toMatchObject({ DB_USER: "root", DB_HOST: "127.0.0.1", DB_PORT: "3306", DB_BACKEND: "mysql" });
    expect(byDatabase.mariadb?.env).toMatchObject({ DB_USER: "root", DB_PASSWORD: "debug_toolbar", MARIADB_ROOT_PASSWORD: "debug_toolbar" });
    // PostgreSQL cells take the PostGIS job's env (the same server), never the MySQL job's port or user.
    expect(byDatabase.postgres?.commands?.env).toMatchObject({ DB_USER: "debug_toolbar", DB_HOST: "localhost", DB_PORT: "5432" });
    expect(byDatabase.postgres?.env).toEqual({ POSTGRES_USER: "debug_toolbar", POSTGRES_PASSWORD: "debug_toolbar", DB_HOST: "localhost", DB_PORT: "5432" });
    // SQLite cells: no database job describes them.
    expect(byDatabase.sqlite?.env).toEqual({});
    expect(byDatabase.sqlite?.commands?.env).toMatchObject({ DB_USER: "debug_toolbar", DB_HOST: "localhost" });
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

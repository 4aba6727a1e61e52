import { describe, expect, it } from "@jest/globals";
import { parseRepoConfig } from "../../src/builds/config/parse-repo-config.js";
import { RepoConfigError } from "../../src/builds/config/repo-config-error.js";
import { matrixFromTox } from "../../src/builds/matrix/matrix-from-tox.js";
import { parseToxFactor } from "../../src/builds/matrix/parse-tox-factor.js";
import { resolveToxDeps } from "../../src/builds/matrix/resolve-tox-deps.js";
import { readToxConfig } from "../../src/builds/matrix/read-tox-config.js";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { planJobSpec } from "../../src/builds/plan-job-spec.js";
import { cellKey, cellName } from "../../src/domain/cell.js";

/** The `database:` axis, `services:` and tox's database factors (issue 13; issue 11 item 3). */
const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
const config = (text: string) => reader({ ".github/ponyci.yml": text });
const keys = (files: Readonly<Record<string, string>>) => planMatrix(reader(files)).cells.map(cellKey);

describe("the database axis", () => {
  it.each([
    { name: "database × services cross product", yml: 'python: "3.11"\ndjango: "5.2"\ndatabase: [sqlite, postgres, mysql]\nservices: [postgres, mariadb]\n', keys: ["py3.11-dj5.2", "py3.11-dj5.2-postgres", "py3.11-dj5.2-mariadb"] },
    { name: "services without database: every cell on the services", yml: 'python: "3.11"\ndjango: ["4.2", "5.2"]\nservices: ["postgres:16"]\n', keys: ["py3.11-dj4.2-postgres", "py3.11-dj5.2-postgres"] },
    { name: "include adds a PostgreSQL cell", yml: 'python: "3.11"\ndjango: "5.2"\nservices: [postgres]\ndatabase: [sqlite]\ninclude:\n  - {python: "3.13", django: "5.2", database: postgresql}\n', keys: ["py3.11-dj5.2", "py3.13-dj5.2-postgres"] },
    { name: "exclude drops by database", yml: 'python: ["3.11", "3.13"]\ndjango: "5.2"\ndatabase: [sqlite, postgres]\nservices: [postgres]\nexclude:\n  - {python: "3.11", database: postgres}\n', keys: ["py3.11-dj5.2", "py3.13-dj5.2", "py3.13-dj5.2-postgres"] },
    { name: "no database axis, no services: names and keys as before", yml: 'python: "3.11"\ndjango: "5.2"\n', keys: ["py3.11-dj5.2"] },
  ])("$name", ({ yml, keys: expected }) => {
    expect(keys({ ".github/ponyci.yml": yml })).toEqual(expected);
  });

  it("a cell asking for a database no service provides is a config error at the `database:` line", () => {
    const error = catchError(() => planMatrix(config('python: "3.11"\ndjango: "5.2"\ndatabase: [sqlite, mariadb]\n')));
    expect(error).toBeInstanceOf(RepoConfigError);
    expect(error).toMatchObject({ file: ".github/ponyci.yml", line: 3 });
    expect((error as Error).message).toBe(".github/ponyci.yml: Python 3.11 · Django 5.2 · MariaDB needs a mariadb database service, but no `services:` entry provides one. Add `services: [mariadb]` to .github/ponyci.yml, or leave mariadb out of `database:`.");
  });

  it("the job spec carries the cell's service with its version and arguments, and asks for a driver", () => {
    const plan = planMatrix(config('python: "3.11"\ndjango: "5.2"\ndatabase: [postgres]\nservices:\n  - name: postgres\n    version: 16\n    args: ["-c work_mem=64MB"]\n'));
    const [cell] = plan.cells;
    expect(cellName(cell!)).toBe("Python 3.11 · Django 5.2 · PostgreSQL");
    const spec = planJobSpec(plan, cell!);
    expect(spec.services).toEqual([{ name: "postgres", version: "16", args: ["-c", "work_mem=64MB"] }]);
    expect(spec.environment.database).toBe("postgres");
    const sqlite = planJobSpec(planMatrix(config('python: "3.11"\ndjango: "5.2"\ndatabase: [sqlite]\n')), { python: "3.11", django: "5.2", database: "sqlite" });
    expect(sqlite.services).toBeUndefined();
    expect(sqlite.environment.database).toBeUndefined();
  });
});

describe("services: in .github/ponyci.yml", () => {
  it.each([
    { yml: "services: [redis]", error: /line 1: "redis" is not a database service: write postgres, mariadb or postgis \(mysql runs on mariadb\)/ },
    { yml: "services: [postgres, postgresql]", error: /lists postgres twice/ },
    { yml: 'services: ["postgres:latest"]', error: /"postgres:latest" is not a database service: .*with a major or major\.minor version if you like, e\.g\. "postgres:16"/ },
    { yml: 'services:\n  - name: postgres\n    args: ["-c", "shared_preload_libraries=x; rm -rf /"]\n', error: /line 2: server arguments of postgres: the value of shared_preload_libraries may use only/ },
    { yml: 'services:\n  - name: postgres\n    args: ["$(reboot)"]\n', error: /"\$\(reboot\)" is not a server setting: write `-c name=value`/ },
    { yml: 'services:\n  - name: mariadb\n    args: ["--init-file=/x y"]\n', error: /the value of init-file may use only/ },
    { yml: 'services:\n  - name: mariadb\n    args: ["-e", "select 1"]\n', error: /"-e" is not a server setting: write `--name=value`/ },
    { yml: "services:\n  - name: postgres\n    image: evil/postgres\n", error: /line 3: unknown key `image` in `services`: the keys are name, version, args/ },
    { yml: "database: [oracle]", error: /database "oracle" is not known: use sqlite, postgres, mariadb or postgis/ },
    { yml: "db: [postgres]", error: /use `database:` for the database axis/ },
  ])("$yml is refused", ({ yml, error }) => {
    expect(() => parseRepoConfig(yml)).toThrow(error);
  });

  it("reads names, versions and arguments", () => {
    const parsed = parseRepoConfig('services:\n  - "postgres:16"\n  - name: mysql\n    version: "10.11"\n    args: ["--max-connections=50", "--skip-performance-schema"]\n');
    expect(parsed.services).toEqual([
      { name: "postgres", version: "16", args: [] },
      { name: "mariadb", version: "10.11", args: ["--max-connections=50", "--skip-performance-schema"] },
    ]);
  });
});

describe("tox database factors", () => {
  it.each([
    ["sqlite3", { kind: "database", database: "sqlite" }],
    ["postgresql", { kind: "database", database: "postgres" }],
    ["postgres", { kind: "database", database: "postgres" }],
    ["mysql", { kind: "database", database: "mariadb" }],
    ["mariadb", { kind: "database", database: "mariadb" }],
    ["psycopg3", { kind: "database", database: "postgres" }],
    ["psycopg2", { kind: "database", database: "postgres" }],
    ["postgis", { kind: "database", database: "postgis" }],
    ["lint", { kind: "other" }],
  ])("%s", (factor, meaning) => {
    expect(parseToxFactor(factor)).toEqual(meaning);
  });

  const toxIni = "[tox]\nenvlist = py311-django52-{sqlite3,postgresql,mysql}\n[testenv]\ndeps =\n    postgresql: psycopg2-binary\n    mysql: mysqlclient\n    pytest\n";

  it("become the cells' database axis, each with its own deps, and ask for their services themselves", () => {
    const tox = matrixFromTox(reader({ "tox.ini": toxIni }));
    expect(tox?.cells.map(cellKey)).toEqual(["py3.11-dj5.2", "py3.11-dj5.2-postgres", "py3.11-dj5.2-mariadb"]);
    expect(tox?.notes.join("\n")).not.toMatch(/postgresql/);
    const plan = planMatrix(reader({ "tox.ini": toxIni }));
    expect(plan.source).toBe("tox");
    expect(plan.services).toEqual([{ name: "postgres", args: [] }, { name: "mariadb", args: [] }]);
    expect(plan.notes).toContain("tox factors ask for postgres: a postgres service runs beside those cells");
    expect(plan.cells.map((cell) => planJobSpec(plan, cell).environment.requirements)).toEqual([["pytest"], ["psycopg2-binary", "pytest"], ["mysqlclient", "pytest"]]);
  });

  it("the config's services give tox's cells their version and arguments", () => {
    const plan = planMatrix(reader({ "tox.ini": toxIni, ".github/ponyci.yml": 'services:\n  - name: postgres\n    args: ["-c", "max_connections=20"]\n' }));
    expect(planJobSpec(plan, plan.cells[1]!).services).toEqual([{ name: "postgres", args: ["-c", "max_connections=20"] }]);
  });

  it("a condition naming a database matches only cells on it", () => {
    const tox = readToxConfig(reader({ "tox.ini": "[testenv]\ndeps =\n    postgres: psycopg\n    a\n" }))!;
    expect(resolveToxDeps(tox, { name: "py311-django52", cell: { python: "3.11", django: "5.2", database: "postgres" } })).toEqual(["psycopg", "a"]);
    expect(resolveToxDeps(tox, { name: "py311-django52", cell: { python: "3.11", django: "5.2" } })).toEqual(["a"]);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

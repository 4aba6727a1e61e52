import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { planJobSpec } from "../../src/builds/plan-job-spec.js";
import { cellName } from "../../src/domain/cell.js";
import { createJobSpec } from "../../src/domain/job-spec.js";
import { LABEL_JOB, LABEL_SERVICE } from "../../runner/src/docker/labels.js";
import { FIXTURES, createFixtureRepo } from "../support/fixture-repo.js";
import { containersOf, createTestRunner, jobId, runSpec } from "../support/test-runner.js";

/**
 * Database services beside real test containers (issue 13): the fixture
 * projects' tests need PostgreSQL or MariaDB and pass only with the service
 * the planner gives them; service containers are gone afterwards.
 */
const runner = createTestRunner();

/** A fixture's files as planning reads them (`dir/`: the names of the files in it, one per line). */
const readFixture = (name: string) => (file: string) => {
  const full = path.join(FIXTURES, name, file);
  if (!existsSync(full)) return undefined;
  if (file.endsWith("/")) return readdirSync(full, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).join("\n");
  return statSync(full).isFile() ? readFileSync(full, "utf8") : undefined;
};

/** Plan the fixture as the build service would, then run every cell of it at once. */
async function runPlanned(name: string) {
  const plan = planMatrix(readFixture(name), { availablePython: ["3.9", "3.11", "3.13"] });
  const repo = await createFixtureRepo(name);
  const runs = await Promise.all(
    plan.cells.map(async (cell) => {
      const id = jobId(name);
      const run = await runSpec(runner, { jobId: id, source: { url: repo.dir, sha: repo.sha }, ...planJobSpec(plan, cell) });
      return { cell, id, run };
    }),
  );
  for (const { id } of runs) expect(await containersOf(id)).toEqual([]);
  return { plan, runs };
}

const summary = (run: Awaited<ReturnType<typeof runSpec>>) => ({
  conclusion: run.finished.conclusion,
  counts: run.finished.counts,
  error: run.finished.error?.message,
  failed: run.tests.filter((t) => t.outcome !== "passed").map((t) => `${t.id}: ${t.message ?? ""}`),
});

describe("database services", () => {
  it("PostgreSQL and MariaDB fixtures pass with their services, two service cells at once, and leave nothing behind", async () => {
    const [postgres, mariadb] = await Promise.all([runPlanned("django-postgres"), runPlanned("django-mariadb")]);
    expect(postgres.runs.map(({ cell }) => cellName(cell))).toEqual(["Python 3.11 · Django 5.2 · PostgreSQL"]);
    expect(mariadb.runs.map(({ cell }) => cellName(cell))).toEqual(["Python 3.11 · Django 4.2 · MariaDB"]);
    const [pg] = postgres.runs;
    const [maria] = mariadb.runs;
    expect(summary(pg!.run)).toEqual({ conclusion: "success", counts: expect.objectContaining({ passed: 4, total: 4 }), error: undefined, failed: [] });
    expect(summary(maria!.run)).toEqual({ conclusion: "success", counts: expect.objectContaining({ passed: 2, total: 2 }), error: undefined, failed: [] });
    expect(pg!.run.logs.some((l) => /^Service postgres \(ponyci\/postgres:15\) ready in \d+ ms/.test(l))).toBe(true);
    expect(maria!.run.logs.some((l) => /^Service mariadb \(ponyci\/mariadb:10\.11\) ready in \d+ ms/.test(l))).toBe(true);
  });

  it("a tox envlist with -{sqlite3,postgresql} factors gives both cells, both green", async () => {
    const { plan, runs } = await runPlanned("django-db-tox");
    expect(plan.cells).toEqual([
      { python: "3.11", django: "5.2", database: "sqlite" },
      { python: "3.11", django: "5.2", database: "postgres" },
    ]);
    for (const { run } of runs) expect(summary(run)).toEqual({ conclusion: "success", counts: expect.objectContaining({ passed: 2, total: 2 }), error: undefined, failed: [] });
    // The project's own driver (tox deps: psycopg2-binary) is used; Pony CI adds none.
    const pgSpec = planJobSpec(plan, plan.cells[1]!);
    expect(pgSpec.environment.requirements).toEqual(["psycopg2-binary"]);
  });

  it.each([
    ["django-postgres", /Python 3\.11 · Django 5\.2 · PostgreSQL needs a postgres database service, but no `services:` entry provides one\. Add `services: \[postgres\]`/],
    ["django-mariadb", /Python 3\.11 · Django 4\.2 · MariaDB needs a mariadb database service, but no `services:` entry provides one\. Add `services: \[mariadb\]`/],
  ])("the %s fixture without its `services:` entry is a config error, not a run", (name, message) => {
    const withService = readFixture(name);
    const without = (file: string) => (file === ".github/ponyci.yml" ? withService(file)!.replace(/^services:[\s\S]*$/m, "") : withService(file));
    expect(withService(".github/ponyci.yml")).toMatch(/^services:/m);
    // Its settings (manage.py → mysite/settings.py) name the engine unconditionally: that provides the service (issue 22)…
    expect(planMatrix(without).services.map((s) => s.name)).toEqual([name === "django-postgres" ? "postgres" : "mariadb"]);
    // …and with nothing naming it, the cell asking for it is a config error.
    const nothing = (file: string) => (file === "manage.py" ? undefined : without(file));
    expect(() => planMatrix(nothing)).toThrow(message);
  });

  it("the users, passwords and databases a project's tox set_env names are accepted, on PostgreSQL (via localhost) and MySQL/MariaDB", async () => {
    const { plan, runs } = await runPlanned("django-db-credentials");
    expect(plan.cells.map(cellName)).toEqual(["Python 3.11 · Django 5.2 · PostgreSQL", "Python 3.11 · Django 5.2 · MariaDB"]);
    for (const { run } of runs) expect(summary(run)).toEqual({ conclusion: "success", counts: expect.objectContaining({ passed: 3, total: 3 }), error: undefined, failed: [] });
    expect(runs[0]!.run.logs.some((l) => /^Service postgres .* ready in \d+ ms on 127\.0\.0\.1 \(users project\)$/.test(l))).toBe(true);
    expect(runs[1]!.run.logs.some((l) => /^Service mariadb .* ready in \d+ ms on 127\.0\.0\.1 \(users root\)$/.test(l))).toBe(true);
  });

  it("a tox postgis factor runs beside PostgreSQL with the PostGIS extension, GeoDjango loading GDAL and GEOS in the test image", async () => {
    const { plan, runs } = await runPlanned("django-postgis-tox");
    expect(plan.cells.map(cellName)).toEqual(["Python 3.11 · Django 5.2 · PostGIS"]);
    expect(summary(runs[0]!.run)).toEqual({ conclusion: "success", counts: expect.objectContaining({ passed: 3, total: 3 }), error: undefined, failed: [] });
    expect(runs[0]!.run.logs.some((l) => /^Service postgis \(ponyci\/postgis:15\) ready in \d+ ms/.test(l))).toBe(true);
  });

  it("zero config: the PostgreSQL service and credentials of the project's GitHub Actions workflow, reached as localhost", async () => {
    const name = "django-workflow-postgres";
    const plan = planMatrix(readFixture(name), { availablePython: ["3.11"] });
    expect(plan.cells.map(cellName)).toEqual(["Python 3.11 · Django 4.2 · PostgreSQL", "Python 3.11 · Django 5.2 · PostgreSQL"]);
    const repo = await createFixtureRepo(name);
    const id = jobId(name);
    const run = await runSpec(runner, { jobId: id, source: { url: repo.dir, sha: repo.sha }, ...planJobSpec(plan, plan.cells[1]!) });
    expect(summary(run)).toEqual({ conclusion: "success", counts: expect.objectContaining({ passed: 2, total: 2 }), error: undefined, failed: [] });
    expect(run.logs.some((l) => /^Service postgres .* ready in \d+ ms on 127\.0\.0\.1 \(users postgres\)$/.test(l))).toBe(true);
    expect(await containersOf(id)).toEqual([]);
  });

  it("server arguments that stop the server fail the cell with the server's own message, and the service is removed", async () => {
    const repo = await createFixtureRepo("django-db-tox");
    const id = jobId("bad-args");
    const spec = createJobSpec({ python: "3.11", django: "5.2", database: "postgres" }, {
      services: [{ name: "postgres", args: ["-c", "no_such_setting=1"] }],
    });
    const run = await runSpec(runner, { jobId: id, source: { url: repo.dir, sha: repo.sha }, ...spec, environment: { ...spec.environment, database: "postgres" } });
    expect(run.finished.conclusion).toBe("failure");
    expect(run.finished.error?.message).toMatch(/The postgres service exited with code \d+ before it was ready\. Check its server arguments \(-c no_such_setting=1\)\./);
    expect(run.finished.error?.message).toMatch(/unrecognized configuration parameter "no_such_setting"/);
    expect(run.tests).toEqual([]);
    expect(await containersOf(id)).toEqual([]);
  });

  it("server arguments with shell syntax never reach the server: refused before any container exists", async () => {
    const repo = await createFixtureRepo("django-db-tox");
    const id = jobId("shell-args");
    const spec = createJobSpec({ python: "3.11", django: "5.2", database: "postgres" }, {
      services: [{ name: "postgres", args: ["-c", "log_line_prefix=$(touch /tmp/x)"] }],
    });
    const run = await runSpec(runner, { jobId: id, source: { url: repo.dir, sha: repo.sha }, ...spec });
    expect(run.finished.conclusion).toBe("failure");
    expect(run.finished.error?.message).toMatch(/Server arguments of postgres refused: the value of log_line_prefix may use only/);
    const { stdout } = await execa("docker", ["ps", "-a", "-q", "--filter", `label=${LABEL_JOB}=${id}`, "--filter", `label=${LABEL_SERVICE}`]);
    expect(stdout).toBe("");
  });
});

import { describe, expect, it } from "@jest/globals";
import { cellKey, cellName } from "../../src/domain/cell.js";
import { checkServiceArgs, databaseEnv } from "../../src/domain/database.js";
import { addDatabaseDriver } from "../../runner/src/services/add-database-driver.js";
import { listServiceImageCandidates } from "../../runner/src/services/resolve-service-image.js";
import { serviceProfile } from "../../runner/src/services/service-profile.js";

describe("cell names and keys", () => {
  it.each([
    [{ python: "3.11", django: "5.2" }, "Python 3.11 · Django 5.2", "py3.11-dj5.2"],
    [{ python: "3.11", django: "5.2", database: "sqlite" as const }, "Python 3.11 · Django 5.2", "py3.11-dj5.2"],
    [{ python: "3.11", django: "5.2", database: "postgres" as const }, "Python 3.11 · Django 5.2 · PostgreSQL", "py3.11-dj5.2-postgres"],
    [{ python: "3.13", django: "6.0", database: "mariadb" as const }, "Python 3.13 · Django 6.0 · MariaDB", "py3.13-dj6.0-mariadb"],
    [{ python: "3.13", django: "5.2", database: "postgis" as const }, "Python 3.13 · Django 5.2 · PostGIS", "py3.13-dj5.2-postgis"],
  ])("%j", (cell, name, key) => {
    expect(cellName(cell)).toBe(name);
    expect(cellKey(cell)).toBe(key);
  });
});

describe("checkServiceArgs", () => {
  it.each([
    ["postgres", ["-c", "max_connections=200", "--work_mem=64MB"], undefined],
    ["mariadb", ["--max-connections=50", "--skip-performance-schema"], undefined],
    ["postgres", ["-c"], "`-c` must be followed by name=value"],
    ["postgres", ["-c", "x=1 2"], "the value of x may use only letters, digits and _ . : , / + % @ -"],
    ["postgres", ["-c", "x='a'"], "the value of x may use only letters, digits and _ . : , / + % @ -"],
    ["postgres", ["-c", "a;b=1"], '"a;b" is not a valid setting name (letters, digits, _ . -)'],
    ["postgres", ["-D/etc"], '"-D/etc" is not a server setting: write `-c name=value`'],
    ["mariadb", ["--x=`id`"], "the value of x may use only letters, digits and _ . : , / + % @ -"],
    ["mariadb", ["--foo bar"], '"--foo bar" is not a valid option name'],
    ["mariadb", Array.from({ length: 65 }, () => "--a=1"), "at most 64 server arguments"],
  ] as const)("%s %j", (name, args, problem) => {
    expect(checkServiceArgs(name, args)).toBe(problem);
  });
});

describe("databaseEnv", () => {
  it("postgres: DATABASE_URL, DB_*, POSTGRES_* and libpq's PG*", () => {
    expect(databaseEnv("postgres")).toMatchObject({
      DATABASE_URL: "postgres://ponyci:ponyci@127.0.0.1:5432/ponyci",
      DB_ENGINE: "postgresql", DB_HOST: "127.0.0.1", DB_PORT: "5432", DB_NAME: "ponyci", DB_USER: "ponyci", DB_PASSWORD: "ponyci",
      POSTGRES_DB: "ponyci", POSTGRES_USER: "ponyci", POSTGRES_PASSWORD: "ponyci", PGHOST: "127.0.0.1", PGPORT: "5432",
    });
  });
  it("mariadb: mysql:// URL and MYSQL_*", () => {
    expect(databaseEnv("mariadb")).toMatchObject({ DATABASE_URL: "mysql://ponyci:ponyci@127.0.0.1:3306/ponyci", DB_ENGINE: "mysql", DB_PORT: "3306", MYSQL_DATABASE: "ponyci", MYSQL_HOST: "127.0.0.1" });
  });
  it("sqlite: only DB_ENGINE", () => {
    expect(databaseEnv("sqlite")).toEqual({ DB_ENGINE: "sqlite3" });
  });
});

describe("addDatabaseDriver", () => {
  it.each([
    [[], "postgres", ["psycopg[binary]"]],
    [["pytest"], "mariadb", ["pytest", "PyMySQL"]],
    [["psycopg2-binary==2.9.9"], "postgres", ["psycopg2-binary==2.9.9"]],
    [["Psycopg[binary]>=3.1"], "postgres", ["Psycopg[binary]>=3.1"]],
    [["mysqlclient"], "mariadb", ["mysqlclient"]],
    [["PyMySQL"], "postgres", ["PyMySQL", "psycopg[binary]"]],
    [["pytest"], undefined, ["pytest"]],
  ] as const)("%j on %s", (requirements, database, expected) => {
    expect(addDatabaseDriver(requirements, database)).toEqual(expected);
  });
});

describe("service images", () => {
  it.each([
    ["auto", { name: "postgres" as const }, ["ponyci/postgres:15", "postgres:16"]],
    ["auto", { name: "mariadb" as const, version: "11" }, ["ponyci/mariadb:11", "mariadb:11"]],
    ["{service}:{version}", { name: "postgres" as const }, ["postgres:16"]],
    ["ponyci/{service}:{version}", { name: "mariadb" as const }, ["ponyci/mariadb:10.11"]],
    ["auto", { name: "postgis" as const }, ["ponyci/postgis:15", "postgis/postgis:16-3.4"]],
    ["{service}:{version}", { name: "postgis" as const }, ["postgis/postgis:16-3.4"]],
    ["registry.example.com/{service}:{version}-alpine", { name: "postgres" as const, version: "14" }, ["registry.example.com/postgres:14-alpine"]],
  ])("%s %j", (template, service, candidates) => {
    expect(listServiceImageCandidates(template, service)).toEqual(candidates);
  });

  it("never root, data on tmpfs, durability off on official images too", () => {
    for (const name of ["postgres", "mariadb"] as const) {
      for (const image of [`ponyci/${name}:x`, `${name}:x`]) {
        const profile = serviceProfile(name, image, ["--a=1"]);
        expect(profile.user).not.toMatch(/^(0|root)(:|$)/);
        expect(profile.cmd.at(-1)).toBe("--a=1");
        expect(Object.keys(profile.tmpfs).length).toBeGreaterThan(1);
      }
    }
    expect(serviceProfile("postgres", "postgres:16", []).cmd).toEqual(expect.arrayContaining(["fsync=off", "synchronous_commit=off", "full_page_writes=off"]));
    expect(serviceProfile("mariadb", "mariadb:11", []).cmd).toEqual(expect.arrayContaining(["--skip-log-bin", "--innodb-flush-log-at-trx-commit=0"]));
  });
});

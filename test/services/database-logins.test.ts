import { describe, expect, it } from "@jest/globals";
import { databaseLogins } from "../../src/domain/database-logins.js";
import { databaseEnv } from "../../src/domain/database.js";
import { loginCommands } from "../../runner/src/services/login-commands.js";

describe("databaseLogins: the logins a cell's environment names", () => {
  const cell = (service: "postgres" | "mariadb", project: Record<string, string>) => databaseLogins(service, project, { ...databaseEnv(service), ...project });

  it("reads tox set_env's DB_* (missing parts from Pony CI's defaults), POSTGRES_*, MYSQL_ROOT_PASSWORD and DATABASE_URL", () => {
    expect(cell("postgres", { DB_NAME: "postgres", DB_PASSWORD: "postgres" })).toEqual([{ user: "ponyci", password: "postgres", database: "postgres" }]);
    expect(cell("postgres", { POSTGRES_USER: "postgres", POSTGRES_PASSWORD: "", POSTGRES_DB: "modelutils" })).toEqual([{ user: "postgres", password: "", database: "modelutils" }]);
    expect(cell("mariadb", { DB_USER: "root", DB_PASSWORD: "mysql", DB_NAME: "mysql", MYSQL_ROOT_PASSWORD: "r" })).toEqual([{ user: "root", password: "mysql", database: "mysql" }, { user: "root", password: "mysql" }]);
    expect(cell("postgres", { DATABASE_URL: "postgres://app:p%40ss@localhost:5432/app_db" })).toEqual([{ user: "app", password: "p@ss", database: "app_db" }]);
  });

  it("keeps the first password a user is given (tox's DB_* over a workflow service's MARIADB_*), and every database", () => {
    expect(cell("mariadb", { MARIADB_USER: "root", MARIADB_ROOT_PASSWORD: "x", MARIADB_DATABASE: "other", DB_USER: "root", DB_PASSWORD: "mysql", DB_NAME: "mysql" })).toEqual([
      { user: "root", password: "mysql", database: "mysql" },
      { user: "root", password: "mysql", database: "other" },
      { user: "root", password: "mysql" },
    ]);
  });

  it("asks for nothing when the project names nothing, or only Pony CI's own login; MySQL names stay off PostgreSQL", () => {
    expect(cell("postgres", {})).toEqual([]);
    expect(cell("postgres", { DB_USER: "ponyci", DB_PASSWORD: "ponyci" })).toEqual([]);
    expect(cell("postgres", { MYSQL_USER: "m", MYSQL_PASSWORD: "x" })).toEqual([]);
  });

  it("never passes on a name that could carry SQL, a non-ASCII password, or a server database", () => {
    expect(cell("postgres", { DB_USER: 'x"; DROP ROLE ponyci; --', DB_PASSWORD: "p" })).toEqual([]);
    expect(cell("mariadb", { DB_USER: "u", DB_PASSWORD: "pässword" })).toEqual([]);
    expect(cell("postgres", { DB_USER: "u", DB_PASSWORD: "p", DB_NAME: "template1" })).toEqual([{ user: "u", password: "p" }]);
    expect(cell("postgres", { DB_USER: "u", DB_PASSWORD: "p", DB_NAME: ":memory:" })).toEqual([{ user: "u", password: "p" }]);
  });
});

describe("loginCommands", () => {
  it("quotes passwords as literals for each server, as argv without a shell; PostgreSQL databases in a tolerant command", () => {
    const [roles, databases, ...more] = loginCommands("postgres", [{ user: "u", password: "it's", database: "d" }]);
    expect(roles?.cmd).toEqual(expect.arrayContaining(["ON_ERROR_STOP=1", "-c", "ALTER ROLE \"u\" LOGIN SUPERUSER PASSWORD 'it''s'"]));
    expect(roles?.tolerant).toBeUndefined();
    expect(databases).toMatchObject({ tolerant: true, cmd: expect.arrayContaining(["-c", 'CREATE DATABASE "d" OWNER "u" STRATEGY = FILE_COPY', "-c", 'CREATE DATABASE "d" OWNER "u"']) });
    expect(more).toEqual([]);
    const [maria] = loginCommands("mariadb", [{ user: "root", password: "a\\'b" }]);
    expect(maria?.cmd.at(-1)).toContain("CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY 'a\\\\\\'b'");
    expect(loginCommands("mariadb", [])).toEqual([]);
  });
});

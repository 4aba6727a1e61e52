/**
 * Issue 22, item 3: with zero config and no workflow services, the database
 * a project's tests need is found where its test settings name an engine,
 * read as text (never imported). A service runs only for the engine the
 * settings use when no variable is set; engines under a condition are
 * options its own CI selects. Fixtures: test/fixtures/settings-engines/<case>/.
 */
import { describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FIRST_PLANNING_READS, planFromRepoFiles } from "../../src/builds/plan-from-repo-files.js";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { servicesFromSettings } from "../../src/builds/matrix/services-from-settings.js";
import { cellName } from "../../src/domain/cell.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "settings-engines");

/** A fixture project's files as the planning readers give them (`dir/` lists a directory's files). */
function filesOf(name: string, extra: Record<string, string> = {}): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files[path.relative(path.join(fixtures, name), full).split(path.sep).join("/")] = readFileSync(full, "utf8");
    }
  };
  walk(path.join(fixtures, name));
  return { ...files, ...extra };
}

function reader(files: Record<string, string>) {
  return (file: string) => {
    if (file.endsWith("/")) {
      const names = Object.keys(files).filter((f) => f.startsWith(file) && !f.slice(file.length).includes("/")).map((f) => f.slice(file.length));
      return names.length > 0 ? names.join("\n") : undefined;
    }
    return files[file];
  };
}

describe("database services from the engines test settings name (zero config)", () => {
  it.each([
    ["postgres-unconditional", { file: "tests/settings.py", service: "postgres" }],
    ["postgres-unless-variable", { file: "tests/settings.py", service: "postgres" }],
    ["engine-fallback-postgres", { file: "test_settings.py", service: "postgres" }],
    ["url-default-postgis", { file: "tests/settings.py", service: "postgis" }],
    ["runtests-configure-mysql", { file: "runtests.py", service: "mariadb" }],
    ["tox-setenv-url", { file: "tox.ini", service: "postgres" }],
    ["settings-module-from-tox", { file: "myproj/ci_settings.py", service: "postgres" }],
    ["manage-py-module", { file: "mysite/settings.py", service: "postgres" }],
  ])("%s: the default engine needs a service", (name, expected) => {
    expect(servicesFromSettings(reader(filesOf(name)))).toEqual(expected);
  });

  it.each([
    ["sqlite-default-postgres-option", ["tests/settings.py names postgres only under a condition (SQLite by default)"]],
    ["engine-fallback-sqlite", ["tests/settings.py names postgres only under a condition (SQLite by default)"]],
    ["url-default-sqlite", []],
    ["mapping-by-variable", ["tests/settings.py names mariadb only under a condition (sqlite or mariadb by a variable)"]],
    ["tox-factor-url", []],
    ["formatted-engine", []],
    ["guarded-by-import", ["tests/settings.py names postgres only under a condition (no engine unconditionally)"]],
  ])("%s: SQLite, or only options, starts nothing", (name, noteStarts) => {
    const notes: string[] = [];
    expect(servicesFromSettings(reader(filesOf(name)), notes)).toBeUndefined();
    expect(notes.map((note) => note.split(":")[0])).toEqual(noteStarts);
  });

  it("the planner runs every cell beside the settings' service, with a note saying why", () => {
    const plan = planMatrix(reader(filesOf("postgres-unconditional")), { availablePython: ["3.12"] });
    expect(plan.services).toEqual([{ name: "postgres", args: [] }]);
    expect(plan.cells.map(cellName)).toEqual(["Python 3.12 · Django 5.2 · PostgreSQL"]);
    expect(plan.notes).toContain("tests/settings.py uses postgres when no variable is set: cells without a database of their own run beside a postgres service");
  });

  it("tox's database factors keep their own cells; the settings' SQLite default adds nothing", () => {
    const plan = planMatrix(reader(filesOf("tox-factor-url")), { availablePython: ["3.12"] });
    expect(plan.cells.map((c) => c.database)).toEqual(["sqlite", "postgres"]);
    expect(plan.services).toEqual([{ name: "postgres", args: [] }]);
  });

  it("the project's workflow services, or the config's, come first: the settings are not asked", () => {
    const workflow = "jobs:\n  test:\n    services:\n      db:\n        image: mariadb:11\n";
    const fromWorkflow = planMatrix(reader(filesOf("postgres-unconditional", { ".github/workflows/ci.yml": workflow })), { availablePython: ["3.12"] });
    expect(fromWorkflow.services).toEqual([{ name: "mariadb", args: [] }]);
    const fromConfig = planMatrix(reader(filesOf("postgres-unconditional", { ".github/ponyci.yml": "services: [postgis]\n" })), { availablePython: ["3.12"] });
    expect(fromConfig.services).toEqual([{ name: "postgis", args: [] }]);
  });

  it("reads the settings files in one more round, the module tox names among them, only when nothing else names a database", async () => {
    const files = filesOf("settings-module-from-tox");
    const rounds: string[][] = [];
    const plan = await planFromRepoFiles(
      async (paths) => {
        rounds.push(paths);
        return new Map(paths.map((p) => [p, reader(files)(p)]));
      },
      (read) => planMatrix(read, { availablePython: ["3.12"] }),
    );
    expect(FIRST_PLANNING_READS).not.toEqual(expect.arrayContaining(["tests/settings.py"]));
    expect(rounds).toHaveLength(2);
    expect(rounds[0]).toEqual([...FIRST_PLANNING_READS]);
    expect(rounds[1]).toEqual(expect.arrayContaining(["myproj/ci_settings.py", "tests/settings.py", "runtests.py", "conftest.py"]));
    expect(plan.services).toEqual([{ name: "postgres", args: [] }]);
  });

  it("a project whose workflow names its database costs no settings reads", async () => {
    const files = filesOf("postgres-unconditional", { ".github/workflows/ci.yml": "jobs:\n  test:\n    services:\n      db:\n        image: mariadb:11\n" });
    const rounds: string[][] = [];
    const plan = await planFromRepoFiles(
      async (paths) => {
        rounds.push(paths);
        return new Map(paths.map((p) => [p, reader(files)(p)]));
      },
      (read) => planMatrix(read, { availablePython: ["3.12"] }),
    );
    expect(plan.services).toEqual([{ name: "mariadb", args: [] }]);
    // The workflow itself is the second round (its directory listing came in the first); no settings file is read.
    expect(rounds).toEqual([[...FIRST_PLANNING_READS], [".github/workflows/ci.yml"]]);
  });

  it("a file full of engines is decided in bounded time (a mention limit, a bounded look-behind)", () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `${" ".repeat(i % 40)}X${i} = os.environ.get(${'"a'.repeat(5)}, "django.db.backends.mysql")`);
    // Counted, not timed: the answer is still the file's (only defaults, one server database).
    expect(servicesFromSettings(reader({ "tests/settings.py": lines.join("\n") }))).toEqual({ file: "tests/settings.py", service: "mariadb" });
  });

  it("comments, imports and lookalike text are not engines; a settings file's size is bounded", () => {
    const text = [
      "from django.db.backends.postgresql import base  # noqa",
      '# DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}',
      'DOC = "see https://example.invalid/postgres://x"',
      `PAD = "${"x".repeat(70 * 1024)}"`,
      'DATABASES = {"default": {"ENGINE": "django.db.backends.mysql"}}',
    ].join("\n");
    expect(servicesFromSettings(reader({ "tests/settings.py": text }))).toBeUndefined();
    expect(servicesFromSettings(reader({ "tests/settings.py": text.split("\n").slice(0, 3).join("\n") + '\nDATABASES = {"default": {"ENGINE": "django.db.backends.mysql"}}' }))).toEqual({ file: "tests/settings.py", service: "mariadb" });
  });
});

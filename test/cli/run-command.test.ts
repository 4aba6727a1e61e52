import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FIXTURES, createFixtureRepo, lineOf } from "../support/fixture-repo.js";
import { TEST_DATA_DIR } from "../support/test-runner.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/src/cli/ponyci.js");

/** `ponyci run`, the embedded main job, as a user runs it: the compiled CLI in a child process. */
function ponyci(args: string[], env: Record<string, string> = {}) {
  return execa("node", [CLI, ...args], { reject: false, env: { PONYCI_DATA_DIR: TEST_DATA_DIR, PONYCI_CONCURRENCY: "2", ...env } });
}

describe("ponyci run", () => {
  it("runs a failing project's cell, prints the failure's file:line in the table, and exits 1", async () => {
    const repo = await createFixtureRepo("django-fail");
    const result = await ponyci(["run", repo.dir, "--python", "3.11", "--django", "5.2"]);
    expect(result.exitCode).toBe(1);
    const line = lineOf(path.join(FIXTURES, "django-fail/polls/tests.py"), "ponyci-expect-fail");
    expect(result.stdout).toMatch(/Matrix \(flags\): Python 3\.11 · Django 5\.2/);
    expect(result.stdout).toMatch(/▶ Python 3\.11 · Django 5\.2: running tests/);
    expect(result.stdout).toMatch(/Python 3\.11 · Django 5\.2\s+failure\s+1\s+2\s+1\s+0/);
    expect(result.stdout).toContain(`polls.tests.QuestionTests.test_fails at polls/tests.py:${line}`);
    expect(result.stdout).toMatch(/0 of 1 cells passed/);
  });

  it("runs a working tree with uncommitted changes as it is on disk, and exits 0 when every cell passes", async () => {
    const repo = await createFixtureRepo("django-fail");
    // Fix the failing tests without committing: the run must see the working tree.
    const tests = path.join(repo.dir, "polls/tests.py");
    await execa("sed", ["-i", 's/"B")  # ponyci-expect-fail/"A")/; s/\\["question"\\]/["answer"]/; s/self.assertNotEqual(number, 2)/self.assertTrue(number)/', tests]);
    const result = await ponyci(["run", repo.dir, "--python", "3.11", "--django", "5.2"]);
    expect(result.stdout).toMatch(/\(working tree\)/);
    expect(result.stdout).toMatch(/All 1 cells passed/);
    expect(result.exitCode).toBe(0);
  });

  it("keeps the database service when --python/--django narrow a matrix that came from `services:` alone (flags narrow, never drop)", async () => {
    const repo = await createFixtureRepo("django-postgres");
    // No matrix keys: the default matrix runs on PostgreSQL, and the flags pick one of its cells.
    await repo.commit("services only", { ".github/ponyci.yml": "services:\n  - name: postgres\n    args: [\"-c\", \"max_connections=42\"]\n" });
    const result = await ponyci(["run", repo.dir, "--python", "3.11", "--django", "5.2"]);
    expect(result.stdout).toMatch(/Matrix \(flags\): Python 3\.11 · Django 5\.2 · PostgreSQL\n/);
    expect(result.stdout).toMatch(/Service postgres \(ponyci\/postgres:15\) ready in \d+ ms/);
    expect(result.stdout).toMatch(/Python 3\.11 · Django 5\.2 · PostgreSQL\s+success\s+4\s+0\s+0\s+0/);
    expect(result.exitCode).toBe(0);
  });

  it("gives the tests the environment projects' CI gives: UTF-8 locale and file names, UTC, writable home and temp dir, CI=true, localhost", async () => {
    const repo = await createFixtureRepo("django-encoding");
    const result = await ponyci(["run", repo.dir, "--python", "3.11", "--django", "5.2"]);
    expect(result.stdout).toMatch(/Python 3\.11 · Django 5\.2\s+success\s+4\s+0\s+0\s+0/);
    expect(result.exitCode).toBe(0);
  });

  it("a failing command says which it was and what it printed (not just \"exited with code 1\")", async () => {
    const repo = await createFixtureRepo("tox-missing-tool");
    const result = await ponyci(["run", repo.dir, "--python", "3.11", "--django", "5.2"]);
    expect(result.exitCode).toBe(1);
    const failures = result.stdout.slice(result.stdout.indexOf("Failures:"));
    expect(failures).toMatch(/Python 3\.11 · Django 5\.2: tox commands\[0\] `python -m coverage run manage\.py test` exited with code 1 \(no test failed\)\n {4}Its last line of output:\n {4}\/opt\/venv\/bin\/python: No module named coverage\n/);
    expect(failures).not.toContain("post ran");
  });

  it("says what is wrong with a broken repo config, with its line, and exits 2", async () => {
    const repo = await createFixtureRepo("django-pass");
    await repo.commit("broken config", { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\ntimeout: soon\n' });
    const result = await ponyci(["run", repo.dir]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain("✗ .github/ponyci.yml line 3: `timeout:` is the number of seconds per cell");
  });

  it("names the line of a pyproject.toml that is not TOML, and exits 2", async () => {
    const repo = await createFixtureRepo("django-pass");
    await repo.commit("broken pyproject", { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\n', "pyproject.toml": '[project]\nname = "x"\nclassifiers = [\n' });
    const result = await ponyci(["run", repo.dir]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toMatch(/✗ pyproject\.toml line \d+: not valid TOML: /);
  });

  it("--list prints the cells it would run and every note, runs nothing; --list --json says the same as JSON", async () => {
    const repo = await createFixtureRepo("django-pass");
    await repo.commit("tox", { "tox.ini": "[tox]\nenvlist = py{39,313}-django{52,61}, lint\n" });
    const table = path.join(repo.dir, "..", `django-support-${path.basename(repo.dir)}.json`);
    await writeFile(table, JSON.stringify({ source: "ops", fetchedAt: "2026-12-01T00:00:00Z", series: { "5.2": { python: ["3.10", "3.11", "3.12", "3.13", "3.14"], latest: "5.2.9" }, "6.1": { python: ["3.12", "3.13", "3.14"], latest: "6.1.3" } } }));
    const text = await ponyci(["run", "--list", repo.dir], { PONYCI_DJANGO_SUPPORT: table });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain("Matrix (tox), 2 cells:\nPython 3.13 · Django 5.2\nPython 3.13 · Django 6.1\n");
    expect(text.stdout).toContain("  note: Django 5.2 does not support Python 3.9: left out\n");
    expect(text.stdout).toContain("  note: tox env lint names no Django release: not used\n");
    expect(text.stdout).not.toMatch(/preparing|running tests|cells passed/);

    const json = await ponyci(["run", "--list", "--json", repo.dir], { PONYCI_DJANGO_SUPPORT: table });
    expect(json.exitCode).toBe(0);
    const listed = JSON.parse(json.stdout) as { source: string; cells: unknown[]; notes: string[]; djangoSupport: unknown };
    expect(listed.source).toBe("tox");
    expect(listed.cells).toEqual([
      { name: "Python 3.13 · Django 5.2", python: "3.13", django: "5.2", djangoRelease: "5.2.9" },
      { name: "Python 3.13 · Django 6.1", python: "3.13", django: "6.1", djangoRelease: "6.1.3" },
    ]);
    expect(listed.notes).toContain("Django 6.1 does not support Python 3.9: left out");
    expect(listed.djangoSupport).toEqual({ source: table, fetchedAt: "2026-12-01T00:00:00Z" });
    await rm(table, { force: true });
  });

  it("counts the cell cap after --python/--django narrow the matrix: a tox.ini over the cap still runs a slice (as `tox -e`)", async () => {
    // django-sortedm2m's tox.ini has 33 cells (5 Pythons × 4 Djangos × 3 databases, less some), over the default cap of 24.
    const repo = await createFixtureRepo("django-pass");
    await repo.commit("tox", { "tox.ini": "[tox]\nenvlist = py{312,313}-django{52,61}\n" });
    const table = path.join(repo.dir, "..", `django-support-${path.basename(repo.dir)}.json`);
    await writeFile(table, JSON.stringify({ source: "ops", fetchedAt: "2026-12-01T00:00:00Z", series: { "5.2": { python: ["3.12", "3.13"], latest: "5.2.9" }, "6.1": { python: ["3.12", "3.13"], latest: "6.1.3" } } }));
    const env = { PONYCI_DJANGO_SUPPORT: table, PONYCI_MAX_CELLS: "2" };
    const whole = await ponyci(["run", "--list", repo.dir], env);
    expect(whole.exitCode).toBe(2);
    expect(whole.stdout).toContain("✗ tox.ini: the matrix has 4 cells, but Pony CI runs at most 2 per commit.");

    const slice = await ponyci(["run", "--list", repo.dir, "--python", "3.13"], env);
    expect(slice.exitCode).toBe(0);
    expect(slice.stdout).toContain("Matrix (tox, narrowed by flags), 2 cells:\nPython 3.13 · Django 5.2\nPython 3.13 · Django 6.1");

    const tooWide = await ponyci(["run", "--list", repo.dir, "--python", "3.12,3.13"], env);
    expect(tooWide.exitCode).toBe(2);
    expect(tooWide.stdout).toContain("✗ --python/--django leave 4 cells, but Pony CI runs at most 2 per run (PONYCI_MAX_CELLS). Name fewer versions.");
    await rm(table, { force: true });
  });

  it("refuses unknown flags and settings with a message, not a stack trace", async () => {
    const flags = await ponyci(["run", "--pyton", "3.11"]);
    expect(flags.exitCode).toBe(2);
    expect(flags.stderr).toMatch(/ponyci: .*pyton/);
    const settings = await ponyci(["run", "."], { PONYCI_CELL_MEMORY: "lots" });
    expect(settings.exitCode).toBe(2);
    expect(settings.stderr).toMatch(/PONYCI_CELL_MEMORY="lots" is not a size/);
    expect(settings.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";
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

/**
 * `ponyci run … -- ARGS` on real cells (the compiled CLI, real git and
 * Docker): the arguments select one test where the tox command says
 * {posargs:tests}, and after the Django command the harness detects. The
 * same runs show the terminal's output: on a pseudo-terminal (Python's pty
 * module) colour and the live line, NO_COLOR honoured; through a pipe with
 * --quiet, only the table and the verdict, without an escape code.
 */
import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { TEST_DATA_DIR } from "../support/test-runner.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/src/cli/ponyci.js");
const ESC = "\u001b[";
/** Runs argv on a pseudo-terminal (no shell), exits with its exit code; the terminal's output on stdout. */
const PTY = "import os, pty, sys\nstatus = pty.spawn(sys.argv[1:])\nsys.exit(os.waitstatus_to_exitcode(status))";

/** The text without its escape codes (colour, erase-line), as a reader sees it. */
const plain = (text: string) => text.replace(new RegExp(`${ESC.replace("[", "\\[")}[0-9;]*[A-Za-z]`, "g"), "");

const env = (extra: Record<string, string> = {}) => ({ PONYCI_DATA_DIR: TEST_DATA_DIR, PONYCI_CONCURRENCY: "1", ...extra });

describe("ponyci run -- ARGS", () => {
  it("tox's {posargs:tests} becomes the arguments: one test runs; on a terminal, colour and the live line", async () => {
    const repo = await createFixtureRepo("tox-coverage-pytest");
    const result = await execa("python3", ["-c", PTY, "node", CLI, "run", repo.dir, "-p", "3.11", "-d", "5.2", "--", "tests/test_format.py::test_slug"], { reject: false, env: env({ TERM: "xterm" }) });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Test command arguments ({posargs}): tests/test_format.py::test_slug");
    expect(plain(result.stdout)).toMatch(/Python 3\.11 · Django 5\.2\s+success\s+1\s+0\s+0\s+0/);
    expect(result.stdout).toContain(`${ESC}32m✓${ESC}39m`);
    // The live line: written dim, erased with \r and erase-line when a line comes.
    expect(result.stdout).toContain(`${ESC}2m[0/1] Python 3.11 · Django 5.2: `);
    expect(result.stdout).toMatch(new RegExp(`${ESC.replace("[", "\\[")}22m\r${ESC.replace("[", "\\[")}2K`));
  }, 600_000);

  it("without --, the default: every test; --quiet through a pipe prints the table and the verdict only", async () => {
    const repo = await createFixtureRepo("tox-coverage-pytest");
    const result = await execa("node", [CLI, "run", repo.dir, "-p", "3.11", "-d", "5.2", "-q"], { reject: false, env: env() });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toContain(ESC);
    expect(result.stdout.split("\n")[0]).toMatch(/^Cell\s+Result\s+Passed/);
    expect(result.stdout).toMatch(/Python 3\.11 · Django 5\.2\s+failure\s+1\s+1\s+0\s+1/);
    expect(result.stdout).not.toMatch(/Pony CI:|Matrix|running tests|preparing/);
    expect(result.stdout.trim().split("\n").at(-1)).toBe("0 of 1 cells passed");
  }, 600_000);

  it("the detected Django command gets them appended; NO_COLOR on a terminal: the live line, no colour", async () => {
    const repo = await createFixtureRepo("django-pass");
    const result = await execa("python3", ["-c", PTY, "node", CLI, "run", repo.dir, "-p", "3.11", "-d", "5.2", "--", "polls.tests.ArithmeticTests.test_addition"], { reject: false, env: env({ TERM: "xterm", NO_COLOR: "1" }) });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Python 3\.11 · Django 5\.2\s+success\s+1\s+0\s+0\s+0/);
    expect(result.stdout).toContain(`\r${ESC}2K`);
    expect(result.stdout).not.toMatch(new RegExp(`${ESC.replace("[", "\\[")}\\d+m`));
  }, 600_000);
});

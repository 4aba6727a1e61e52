/**
 * Issue 21: a PyPy cell, for real. The fixture's tox envlist asks for
 * `pypy311-django52`; `ponyci run` (the compiled CLI, real git and Docker)
 * plans it as "PyPy 3.11 · Django 5.2", builds ponyci/pypy:3.11 from Debian
 * trixie's pypy3 on the cell's first need (once per machine: about 3 min,
 * progress in the cell's log), installs PyPy's wheels and runs the tests on
 * PyPy (a test of the fixture fails on CPython).
 */
import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RunReport } from "../../src/reports/run-report.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { TEST_DATA_DIR } from "../support/test-runner.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/src/cli/ponyci.js");

describe("a PyPy cell through ponyci run", () => {
  it("plans tox's pypy311-django52 as a PyPy cell and runs it green on PyPy", async () => {
    const repo = await createFixtureRepo("django-pypy");
    const json = path.join(mkdtempSync(path.join(tmpdir(), "ponyci-pypy-report-")), "report.json");
    const env = { PONYCI_DATA_DIR: TEST_DATA_DIR, PONYCI_CONCURRENCY: "1", PONYCI_REGISTRY: "0" };

    const listed = await execa("node", [CLI, "run", repo.dir, "--list"], { env, reject: false });
    expect(listed.stdout).toContain("Matrix (tox), 1 cell:\nPyPy 3.11 · Django 5.2");

    const result = await execa("node", [CLI, "run", repo.dir, "--json", json, "--verbose"], { env, reject: false });
    if (result.exitCode !== 0) throw new Error(`ponyci run failed:\n${result.stdout}\n${result.stderr}`);
    expect(result.stdout).toContain("Running tests with tox env pypy311-django52 (tox.ini)");
    expect(result.stdout).toMatch(/Environment [0-9a-f]{12} on ponyci\/pypy:3\.11 \(Django 5\.2\.\d+/);
    const report = JSON.parse(readFileSync(json, "utf8")) as RunReport;
    expect(report.cells.map((c) => ({ name: c.name, conclusion: c.conclusion, passed: c.counts.passed, failed: c.counts.failed, skipped: c.counts.skipped }))).toEqual([
      { name: "PyPy 3.11 · Django 5.2", conclusion: "success", passed: 3, failed: 0, skipped: 1 },
    ]);

    // The image says what it is, and where it came from.
    const { stdout: labels } = await execa("docker", ["image", "inspect", "--format", "{{json .Config.Labels}}", "ponyci/pypy:3.11"]);
    expect(JSON.parse(labels)).toMatchObject({ "org.ponyci.base": "1", "org.ponyci.implementation": "pypy", "org.ponyci.python": "3.11", "org.ponyci.libc": "glibc" });
  }, 1_500_000);
});

/**
 * Zero-config tox projects through `ponyci run` as a user runs it (the
 * compiled CLI, real git and Docker): each fixture uses one tox feature, and
 * each cell's verdict, counts and failure locations are read back from the
 * --json and --junit reports. All cells are Python 3.11 · Django 5.2 with
 * few requirement sets, so environments are shared.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "junit2json";
import { validateXML } from "xmllint-wasm";
import type { RunReport } from "../../src/reports/run-report.js";
import { FIXTURES, createFixtureRepo, lineOf } from "../support/fixture-repo.js";
import { TEST_DATA_DIR } from "../support/test-runner.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/src/cli/ponyci.js");
const SCHEMA = { fileName: "junit-10.xsd", contents: readFileSync(path.join(ROOT, "test/fixtures/junit/junit-10.xsd"), "utf8") };

interface Outcome {
  exitCode: number;
  stdout: string;
  report: RunReport;
  junit: string;
}

const fixtures = ["tox-commands-settings", "tox-factor-setenv", "tox-coverage-pytest", "tox-changedir", "tox-env-override", "tox-section-ref", "tox-ignore-outcome"] as const;
const outcomes = new Map<string, Outcome>();

async function run(fixture: string): Promise<Outcome> {
  const repo = await createFixtureRepo(fixture);
  const out = mkdtempSync(path.join(tmpdir(), "ponyci-tox-report-"));
  const json = path.join(out, "report.json");
  const junit = path.join(out, "report.xml");
  const result = await execa("node", [CLI, "run", repo.dir, "--python", "3.11", "--django", "5.2", "--json", json, "--junit", junit, "--verbose"], {
    reject: false,
    env: { PONYCI_DATA_DIR: TEST_DATA_DIR, PONYCI_CONCURRENCY: "1" },
  });
  if (result.exitCode === 2 || !result.stdout.includes("Wrote")) throw new Error(`ponyci run ${fixture} failed:\n${result.stdout}\n${result.stderr}`);
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, report: JSON.parse(readFileSync(json, "utf8")) as RunReport, junit: readFileSync(junit, "utf8") };
}

beforeAll(async () => {
  // Two at a time: the machine has two cores, and the images are shared.
  const queue = [...fixtures];
  await Promise.all([0, 1].map(async () => {
    for (let fixture = queue.shift(); fixture; fixture = queue.shift()) outcomes.set(fixture, await run(fixture));
  }));
}, 900_000);

const cellOf = (fixture: string) => {
  const cell = outcomes.get(fixture)?.report.cells[0];
  if (!cell) throw new Error(`no cell for ${fixture}`);
  return cell;
};
const failLine = (fixture: string, file: string) => lineOf(path.join(FIXTURES, fixture, file), "ponyci-expect-fail");
const tally = (fixture: string) => {
  const { counts } = cellOf(fixture);
  return { passed: counts.passed, failed: counts.failed, error: counts.error, skipped: counts.skipped, total: counts.total };
};

describe("tox projects with no Pony CI config", () => {
  it("runs the env's commands with the settings they name (manage.py test … --settings=)", () => {
    const cell = cellOf("tox-commands-settings");
    expect(cell.conclusion).toBe("failure");
    expect(tally("tox-commands-settings")).toEqual({ passed: 1, failed: 1, error: 0, skipped: 0, total: 2 });
    expect(cell.tests.find((t) => t.outcome === "failed")).toMatchObject({
      id: "shelf.tests.test_books.BookTests.test_fails",
      file: "shelf/tests/test_books.py",
      line: failLine("tox-commands-settings", "shelf/tests/test_books.py"),
      message: expect.stringMatching(/^AssertionError/),
    });
    expect(outcomes.get("tox-commands-settings")?.stdout).toContain("note: tox env lint names no Django release: not used");
  });

  it("applies factor-conditional set_env, runs the nearest env for a Django the envlist lacks, and never passes host variables", () => {
    const cell = cellOf("tox-factor-setenv");
    expect(tally("tox-factor-setenv")).toEqual({ passed: 1, failed: 1, error: 0, skipped: 0, total: 2 });
    expect(cell.tests.find((t) => t.id === "ledger.tests.LedgerTests.test_engine_from_factor")?.outcome).toBe("passed");
    expect(cell.tests.find((t) => t.outcome === "failed")).toMatchObject({ file: "src/ledger/tests.py", line: failLine("tox-factor-setenv", "src/ledger/tests.py") });
    expect(cell.notes).toEqual(expect.arrayContaining([
      "The tox envlist has no env for Python 3.11 · Django 5.2: running tox env py311-django51-sqlite3, the nearest match",
      "tox env py311-django51-sqlite3: pass_env AWS_SECRET_ACCESS_KEY: the host's variables are never passed into the test container",
    ]));
  });

  it("reports each test of plain pytest run through coverage, and runs commands_post", () => {
    const cell = cellOf("tox-coverage-pytest");
    expect(tally("tox-coverage-pytest")).toEqual({ passed: 1, failed: 1, error: 0, skipped: 1, total: 3 });
    expect(cell.tests.find((t) => t.outcome === "failed")).toMatchObject({
      id: "tests/test_format.py::test_fails",
      file: "tests/test_format.py",
      line: failLine("tox-coverage-pytest", "tests/test_format.py"),
    });
    const stdout = outcomes.get("tox-coverage-pytest")?.stdout ?? "";
    expect(stdout).toMatch(/\[ponyci\] commands\[0\]> coverage run -m pytest tests/);
    expect(stdout).toMatch(/\[ponyci\] commands_post\[0\]> coverage report/);
    expect(stdout).toMatch(/TOTAL\s+\d+/);
  });

  it("runs the commands in change_dir, with the project importable and locations relative to the repository", () => {
    const cell = cellOf("tox-changedir");
    expect(tally("tox-changedir")).toEqual({ passed: 1, failed: 1, error: 0, skipped: 0, total: 2 });
    expect(cell.tests.find((t) => t.outcome === "failed")).toMatchObject({
      id: "test_almanac.AlmanacTests.test_fails",
      file: "tests/test_almanac.py",
      line: failLine("tox-changedir", "tests/test_almanac.py"),
    });
  });

  it("runs a [testenv:name] override with its base section, not [testenv]", () => {
    const cell = cellOf("tox-env-override");
    expect(tally("tox-env-override")).toEqual({ passed: 1, failed: 1, error: 0, skipped: 0, total: 2 });
    expect(cell.tests.find((t) => t.outcome === "failed")).toMatchObject({ file: "quiz/tests.py", line: failLine("tox-env-override", "quiz/tests.py") });
    expect(outcomes.get("tox-env-override")?.stdout).not.toContain("the [testenv] commands ran");
  });

  it("expands {[section]key} references and ignores a '-' command's exit code", () => {
    const cell = cellOf("tox-section-ref");
    expect(tally("tox-section-ref")).toEqual({ passed: 1, failed: 1, error: 0, skipped: 0, total: 2 });
    expect(cell.tests.find((t) => t.outcome === "failed")).toMatchObject({ id: "notes_app.tests.NoteTests.test_fails", file: "notes_app/tests.py", line: failLine("tox-section-ref", "notes_app/tests.py") });
    const stdout = outcomes.get("tox-section-ref")?.stdout ?? "";
    expect(stdout).toContain("pre ran");
    expect(stdout).toMatch(/\[ponyci\] commands_pre\[0\] exited 3 in [\d.]+ s \(exit code ignored\)/);
    expect(stdout).toMatch(/\[ponyci\] commands\[0\]> \/\S+\/python -m django test notes_app --settings=notes_app\.settings/);
  });

  it("reports a failing cell of an ignore_outcome env as neutral, and exits 0", () => {
    const { exitCode, report } = outcomes.get("tox-ignore-outcome") ?? ({} as Outcome);
    expect(report.cells[0]?.conclusion).toBe("neutral");
    expect(report.conclusion).toBe("neutral");
    expect(tally("tox-ignore-outcome")).toEqual({ passed: 1, failed: 1, error: 0, skipped: 0, total: 2 });
    expect(report.cells[0]?.notes).toContain("The cell failed, but its tox env sets ignore_outcome: reported as neutral");
    expect(exitCode).toBe(0);
    expect(outcomes.get("tox-commands-settings")?.exitCode).toBe(1);
  });

  it("keeps Pony CI's own steps to short lines: no pip output, no version lists", () => {
    for (const { stdout } of outcomes.values()) {
      expect(stdout).not.toMatch(/pip index is currently an experimental command|Available versions:|Collecting |Successfully installed/);
    }
  });

  it.each(fixtures)("writes valid JUnit XML for %s that reads back with the same counts", async (fixture) => {
    const { junit, report } = outcomes.get(fixture) ?? ({} as Outcome);
    expect((await validateXML({ xml: [{ fileName: "report.xml", contents: junit }], schema: [SCHEMA] })).errors).toEqual([]);
    const parsed = (await parse(junit)) as { testsuite: Array<{ name: string; tests: number; failures: number }> };
    // One testsuite per cell (flags keep the database axis: tox-factor-setenv also runs its mysql cell).
    expect(parsed.testsuite.map((s) => [s.name, s.tests, s.failures])).toEqual(report.cells.map((cell) => [cell.name, cell.tests.length, cell.counts.failed]));
  });
});

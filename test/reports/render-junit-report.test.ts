import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { parse } from "junit2json";
import { validateXML } from "xmllint-wasm";
import { emptyCounts, type TestResult } from "../../src/domain/events.js";
import { renderJunitReport, splitTestId } from "../../src/reports/render-junit-report.js";
import { createReportCell, createRunReport } from "../../src/reports/run-report.js";

const schema = { fileName: "junit-10.xsd", contents: readFileSync("test/fixtures/junit/junit-10.xsd", "utf8") };
const validate = async (xml: string) => validateXML({ xml: [{ fileName: "report.xml", contents: xml }], schema: [schema] });

const tests: TestResult[] = [
  { id: "polls.tests.QuestionTests.test_ok", outcome: "passed", durationMs: 12 },
  { id: "polls.tests.QuestionTests.test_bad", outcome: "failed", durationMs: 3, message: "AssertionError: 'a' != 'b' <]]> & \u0007bell", traceback: "Traceback…", location: { path: "polls/tests.py", line: 17 } },
  { id: "tests/test_x.py::TestY::test_param[1]", outcome: "error", durationMs: 1, message: "RuntimeError: fixture broke", location: { path: "tests/test_x.py", line: 4 } },
  { id: "tests/test_x.py::test_skip", outcome: "skipped", durationMs: 0, message: "not ready" },
  { id: "tests/test_x.py::test_xfail", outcome: "xfail", durationMs: 0, message: "known bug" },
  { id: "tests/test_x.py::test_xpass", outcome: "xpass", durationMs: 0 },
];
const counts = { ...emptyCounts(), passed: 1, failed: 1, error: 1, skipped: 1, xfail: 1, xpass: 1, total: 6 };
const report = createRunReport({
  repository: "acme/polls",
  sha: "0123456789abcdef0123",
  startedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  cells: [
    createReportCell({ python: "3.11", django: "5.2" }, { conclusion: "failure", counts, durationMs: 5000, testDurationMs: 1500, notes: ["tox env py311-django52: pass_env X: not passed"] }, tests),
    createReportCell({ python: "3.13", django: "5.2" }, { conclusion: "failure", counts: emptyCounts(), error: { message: "ModuleNotFoundError: No module named 'nope'", location: { path: "polls/models.py", line: 3 } } }, []),
    createReportCell({ python: "3.9", django: "4.2" }, { conclusion: "success", counts: { ...emptyCounts(), passed: 1, total: 1 }, testDurationMs: 20 }, tests.slice(0, 1)),
  ],
});

describe("renderJunitReport", () => {
  it("is valid against the junit-10 schema, and the schema does reject what it must", async () => {
    const xml = renderJunitReport(report);
    expect((await validate(xml)).errors).toEqual([]);
    const withFileAttribute = xml.replace('<testcase name="test_ok"', '<testcase file="polls/tests.py" name="test_ok"');
    expect((await validate(withFileAttribute)).valid).toBe(false);
  });

  it("reads back with a JUnit parser: one suite per cell, counts, outcomes and file:line", async () => {
    const parsed = (await parse(renderJunitReport(report))) as Record<string, unknown> & { testsuite: Array<Record<string, unknown> & { testcase?: Array<Record<string, unknown>> ; properties?: Array<{ name: string; value: unknown }> }> };
    expect(parsed).toMatchObject({ tests: 8, failures: 1, errors: 2, time: 1.52 });
    expect(parsed.testsuite.map((s) => [s.name, s.id, s.tests, s.failures, s.errors, s.skipped])).toEqual([
      ["Python 3.11 · Django 5.2", "py3.11-dj5.2", 6, 1, 1, 2],
      ["Python 3.13 · Django 5.2", "py3.13-dj5.2", 1, 0, 1, 0],
      ["Python 3.9 · Django 4.2", "py3.9-dj4.2", 1, 0, 0, 0],
    ]);
    const [first, broken] = parsed.testsuite;
    expect(first?.timestamp).toBe("2026-01-02T03:04:05");
    expect(first?.properties).toEqual([
      { name: "python", value: 3.11 }, // junit2json reads numbers as numbers
      { name: "django", value: 5.2 },
      { name: "conclusion", value: "failure" },
      { name: "note", value: "tox env py311-django52: pass_env X: not passed" },
    ]);
    const cases = first?.testcase ?? [];
    expect(cases.map((c) => [c.classname, c.name])).toEqual([
      ["polls.tests.QuestionTests", "test_ok"],
      ["polls.tests.QuestionTests", "test_bad"],
      ["tests.test_x.TestY", "test_param[1]"],
      ["tests.test_x", "test_skip"],
      ["tests.test_x", "test_xfail"],
      ["tests.test_x", "test_xpass"],
    ]);
    expect(cases[1]?.failure).toEqual([
      { type: "failure", message: "AssertionError: 'a' != 'b' <]]> & bell", inner: "polls/tests.py:17: AssertionError: 'a' != 'b' <]]> & bell\n\nTraceback…" },
    ]);
    expect(cases[2]?.error).toEqual([{ type: "error", message: "RuntimeError: fixture broke", inner: "tests/test_x.py:4: RuntimeError: fixture broke" }]);
    expect(cases[4]?.skipped).toEqual([{ type: "xfail", message: "known bug" }]);
    expect(broken?.testcase?.[0]).toMatchObject({ classname: "ponyci", name: "Python 3.13 · Django 5.2", error: [{ type: "failure", message: "ModuleNotFoundError: No module named 'nope'" }] });
  });
});

describe("splitTestId", () => {
  it.each([
    ["polls.tests.T.test_x", { classname: "polls.tests.T", name: "test_x" }],
    ["tests/a/test_b.py::test_c", { classname: "tests.a.test_b", name: "test_c" }],
    ["test_top", { classname: "", name: "test_top" }],
  ])("%s", (id, split) => {
    expect(splitTestId(id)).toEqual(split);
  });
});

import { create } from "xmlbuilder2";
import type { XMLBuilder } from "xmlbuilder2/lib/interfaces.js";
import type { ReportCell, ReportTest, RunReport } from "./run-report.js";

/**
 * The report as JUnit XML, valid against Jenkins' junit-10 schema (the one
 * Jenkins, GitLab and GitHub's JUnit reporters read): one `<testsuite>` per
 * cell (name "Python 3.11 · Django 5.2", id "py3.11-dj5.2", the cell's
 * Python, Django, conclusion and notes as properties). A test id splits into
 * classname and name ("polls.tests.T.test_x" → "polls.tests.T" + "test_x",
 * "tests/test_a.py::T::test_x" → "tests.test_a.T" + "test_x", as pytest
 * writes them). The schema has no file/line attributes on a testcase, so
 * failures start with "path:line: message", which reporters that scan the
 * text resolve (pytest's xunit2 family does the same). xfail is a skip,
 * xpass a pass. A cell that failed without a failing test (an import error,
 * an environment that could not be built) gets one `<error>` testcase named
 * after the cell, so no tool shows it green. Pure.
 */
export function renderJunitReport(report: RunReport): string {
  const root = create({ version: "1.0", encoding: "UTF-8" }).ele("testsuites", {
    name: clean(`Pony CI: ${report.repository} at ${report.sha.slice(0, 12)}`),
    tests: String(report.cells.reduce((n, cell) => n + testsOf(cell), 0)),
    failures: String(report.cells.reduce((n, cell) => n + count(cell, "failed"), 0)),
    errors: String(report.cells.reduce((n, cell) => n + errorsOf(cell), 0)),
    time: seconds(report.cells.reduce((n, cell) => n + (cell.testDurationMs ?? 0), 0)),
  });
  for (const cell of report.cells) addSuite(root, cell, report.startedAt);
  return root.end({ prettyPrint: true });
}

function addSuite(root: XMLBuilder, cell: ReportCell, startedAt: number): void {
  const suite = root.ele("testsuite", {
    name: cell.name,
    id: cell.key,
    tests: String(testsOf(cell)),
    failures: String(count(cell, "failed")),
    errors: String(errorsOf(cell)),
    skipped: String(count(cell, "skipped") + count(cell, "xfail")),
    time: seconds(cell.testDurationMs ?? 0),
    timestamp: new Date(startedAt).toISOString().replace(/\.\d+Z$/, ""),
  });
  const properties = suite.ele("properties");
  properties.ele("property", { name: "python", value: cell.python });
  properties.ele("property", { name: "django", value: cell.django });
  properties.ele("property", { name: "conclusion", value: cell.conclusion });
  for (const note of cell.notes) properties.ele("property", { name: "note", value: clean(note) });
  for (const test of cell.tests) addCase(suite, test);
  if (cellErrorCase(cell)) {
    const where = cell.error?.file ? `${cell.error.file}:${cell.error.line ?? 1}: ` : "";
    const message = cell.error?.message ?? `the cell ended ${cell.conclusion}`;
    suite.ele("testcase", { name: cell.name, classname: "ponyci", time: "0" }).ele("error", { type: cell.conclusion, message: clean(firstLine(message)) }).txt(clean(`${where}${message}`));
  }
}

function addCase(suite: XMLBuilder, test: ReportTest): void {
  const { classname, name } = splitTestId(test.id);
  const element = suite.ele("testcase", { name: clean(name), classname: clean(classname), time: seconds(test.durationMs) });
  const where = test.file ? `${test.file}:${test.line ?? 1}: ` : "";
  const body = clean(`${where}${test.message ?? ""}${test.traceback ? `\n\n${test.traceback}` : ""}`);
  const message = clean(firstLine(test.message ?? test.outcome));
  switch (test.outcome) {
    case "failed":
      element.ele("failure", { type: "failure", message }).txt(body);
      break;
    case "error":
      element.ele("error", { type: "error", message }).txt(body);
      break;
    case "skipped":
    case "xfail":
      element.ele("skipped", { type: test.outcome, message });
      break;
    case "xpass":
      element.ele("system-out").txt("unexpected success (xpass)");
      break;
    case "passed":
      break;
  }
}

/** "a.b.C.test_x" → a.b.C + test_x; "dir/test_a.py::C::test_x[1]" → dir.test_a.C + test_x[1]. */
export function splitTestId(id: string): { classname: string; name: string } {
  if (id.includes("::")) {
    const parts = id.split("::");
    const name = parts.pop() ?? id;
    const [file = "", ...classes] = parts;
    const module = file.replace(/\.py$/, "").replace(/\//g, ".");
    return { classname: [module, ...classes].filter(Boolean).join("."), name };
  }
  const dot = id.lastIndexOf(".");
  return dot > 0 ? { classname: id.slice(0, dot), name: id.slice(dot + 1) } : { classname: "", name: id };
}

/** Counted from the testcases written, so the attributes always agree with the elements. */
function count(cell: ReportCell, outcome: ReportTest["outcome"]): number {
  return cell.tests.filter((test) => test.outcome === outcome).length;
}

function cellErrorCase(cell: ReportCell): boolean {
  const failing = count(cell, "failed") + count(cell, "error");
  return failing === 0 && ["failure", "error", "timed_out", "neutral"].includes(cell.conclusion) && (cell.error !== undefined || cell.conclusion !== "neutral");
}

function testsOf(cell: ReportCell): number {
  return cell.tests.length + (cellErrorCase(cell) ? 1 : 0);
}

function errorsOf(cell: ReportCell): number {
  return count(cell, "error") + (cellErrorCase(cell) ? 1 : 0);
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}

/** Text XML 1.0 can hold: control characters (test output may have any) dropped. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "").replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

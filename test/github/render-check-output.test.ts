import { describe, expect, it } from "@jest/globals";
import type { FinishedEvent, TestResult } from "../../src/domain/events.js";
import { planCheckWrites } from "../../src/github/checks/plan-check-writes.js";
import { renderCheckOutput, type RenderedCheckOutput } from "../../src/github/checks/render-check-output.js";
import { toCheckConclusion } from "../../src/github/checks/to-check-conclusion.js";
import { CELL, finishedEvent, splitFences, testResult, testResults } from "../support/github-check-fixtures.js";
import { assertValidRequestBody } from "../support/github-schema.js";

const CREATE = "/repos/{owner}/{repo}/check-runs";
const UPDATE = "/repos/{owner}/{repo}/check-runs/{check_run_id}";
const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const LOG = ["Creating test database for alias 'default'...", "Ran 3 tests in 0.012s", "OK"];

const startError = {
  message: "ModuleNotFoundError: No module named 'debug_toolbar'",
  location: { path: "/workspace/mysite/settings.py", line: 7 },
  traceback: 'Traceback (most recent call last):\n  File "/workspace/mysite/settings.py", line 7, in <module>\n    import debug_toolbar\nModuleNotFoundError: No module named \'debug_toolbar\'',
};

/** Every payload a rendered output can travel in must pass GitHub's schema. */
function expectValidPayloads(output: RenderedCheckOutput, finished: FinishedEvent): void {
  const conclusion = toCheckConclusion(finished.conclusion);
  assertValidRequestBody("POST", CREATE, {
    name: "Python 3.13 · Django 5.2",
    head_sha: "a".repeat(40),
    status: "completed",
    conclusion,
    completed_at: "2026-04-29T08:00:00Z",
    output: { title: output.title, summary: output.summary, text: output.text, annotations: output.annotations.slice(0, 50) },
  });
  for (const write of planCheckWrites({ output, conclusion, counts: finished.counts, completedAt: 0 })) {
    assertValidRequestBody("PATCH", UPDATE, write);
  }
  expect(bytes(output.summary)).toBeLessThanOrEqual(65_535);
  expect(bytes(output.text)).toBeLessThanOrEqual(65_535);
  // Fences are balanced: splitFences throws on an unclosed one.
  splitFences(output.summary);
  splitFences(output.text);
}

function render(tests: TestResult[], finished: Partial<FinishedEvent> = {}, logTail: string[] = LOG, timeoutMs?: number) {
  const event = finishedEvent(tests, finished);
  const output = renderCheckOutput({ cell: CELL, finished: event, tests, logTail, timeoutMs });
  expectValidPayloads(output, event);
  return output;
}

describe("renderCheckOutput: titles", () => {
  const passed212 = testResults(212, "passed");
  it.each<[string, TestResult[], Partial<FinishedEvent>, number | undefined, string]>([
    ["all passed", passed212, {}, undefined, "212 passed in 4.6 s"],
    ["one failed", [...passed212, ...testResults(1, "failed")], {}, undefined, "212 passed, 1 failed in 4.6 s"],
    ["errors and skips", [...testResults(3, "passed"), ...testResults(2, "error"), ...testResults(1, "skipped")], {}, undefined, "3 passed, 2 errors, 1 skipped in 4.6 s"],
    ["no tests", [], { testDurationMs: 300 }, undefined, "No tests ran in 0.3 s"],
    ["could not start", [], { conclusion: "failure", error: startError, exitCode: 1 }, undefined, "Could not start: ModuleNotFoundError: No module named 'debug_toolbar' (mysite/settings.py:7)"],
    ["crashed midway", testResults(5, "passed"), { conclusion: "failure", error: { message: "Segmentation fault" }, exitCode: 139 }, undefined, "5 passed in 4.6 s, then crashed: Segmentation fault"],
    ["failed without failing tests", testResults(3, "passed"), { conclusion: "failure", exitCode: 137 }, undefined, "3 passed in 4.6 s, but the test process exited with code 137"],
    ["timed out", [], { conclusion: "timed_out", durationMs: 1_200_400 }, undefined, "Timed out after 20 min"],
    ["timed out at a named limit", [...testResults(120, "passed"), ...testResults(1, "failed")], { conclusion: "timed_out", durationMs: 1_234_000 }, 1_200_000, "Timed out after 20 min (120 passed, 1 failed so far)"],
    ["cancelled", testResults(4, "passed"), { conclusion: "cancelled", durationMs: 62_000 }, undefined, "Cancelled after 1 min 2 s (4 passed so far)"],
    ["infrastructure error", [], { conclusion: "error", error: { message: "Cannot connect to the Docker daemon\nat unix:///var/run/docker.sock" } }, undefined, "Infrastructure error: Cannot connect to the Docker daemon"],
    ["infrastructure error without message", [], { conclusion: "error" }, undefined, "Infrastructure error: the runner failed without saying why"],
  ])("%s", (_name, tests, finished, timeoutMs, title) => {
    expect(render(tests, finished, LOG, timeoutMs).title).toBe(title);
  });

  it("keeps an untrusted title on one line and within 255 chars", () => {
    const { title } = render([], { conclusion: "failure", error: { message: `\u001b[31mImportError:\u001b[0m ${"x".repeat(400)}\nsecond line` } });
    expect(title.length).toBeLessThanOrEqual(255);
    expect(title).toMatch(/^Could not start: ImportError: x+…$/);
  });
});

describe("renderCheckOutput: summary", () => {
  it("shows counts, notes, failed tests in <details>, and the 5 slowest tests", () => {
    const tests = [
      ...[900, 100, 2500, 40, 1300, 700].map((ms, i) => testResult(`polls.tests.Speed.test_${i}`, "passed", { durationMs: ms })),
      testResult("polls.tests.Q.test_future", "failed", { message: "AssertionError: True is not false", durationMs: 5 }),
      ...testResults(3, "skipped"),
    ];
    const { summary } = render(tests, { truncatedLines: 3, notes: ["tox env py313-django52: pass_env *_TOKEN: the host's variables are never passed into the test container"] });
    expect(summary).toContain("**Python 3\\.13 · Django 5\\.2**: 6 passed\\, 1 failed\\, 3 skipped in 4\\.6 s");
    expect(summary).toContain("| 6 | 1 | 0 | 3 | 0 | 0 | 10 |");
    expect(summary).toContain("- 3 tests were skipped.");
    expect(summary).toContain("- 3 lines of output were dropped: the cell went over the log limit.");
    expect(summary).toContain("- The test process exited with code 1.");
    expect(summary).toContain("- tox env py313\\-django52\\: pass\\_env \\*\\_TOKEN\\: the host\\'s variables are never passed into the test container\\.");
    expect(summary).toContain("### Failed tests (1)");
    expect(summary).toContain("<details>\n<summary><code>polls.tests.Q.test_future</code> (failed): AssertionError: True is not false</summary>\n\nAt polls\\/tests\\.py\\:12");
    expect(splitFences(summary).blocks).toEqual([tests[6]?.traceback]);
    const slowest = summary.slice(summary.indexOf("### Slowest 5 tests"));
    expect(slowest.match(/test\\_\d/g)).toEqual(["test\\_2", "test\\_4", "test\\_0", "test\\_5", "test\\_1"]);
    expect(slowest).toContain("| <code>polls\\.tests\\.Speed\\.test\\_2</code> | 2.5 s |");
  });

  it("leaves out sections with nothing to say", () => {
    const { summary } = render(testResults(3, "passed"));
    expect(summary).not.toMatch(/Failed tests|skipped|dropped|exited with code/);
  });

  it("keeps backtick fences and HTML in messages and tracebacks from breaking out", () => {
    const evil = testResult("polls.tests.Evil.test_<b>bold</b>", "failed", {
      message: "</summary></details><script>alert(1)</script> ``` @octocat",
      traceback: "Traceback:\n```\n</details>\n# Injected heading\n<img src=x onerror=alert(1)>\n````\nValueError: ```` end",
    });
    const { summary } = render([evil, testResult("polls.tests.Fine.test_ok", "passed")]);
    const { outside, blocks } = splitFences(summary);
    expect(blocks).toEqual([evil.traceback]);
    expect(outside).not.toMatch(/<script|<img|<b>|# Injected|@octocat|```/);
    expect(outside.match(/<details>/g)).toHaveLength(1);
    expect(outside.match(/<\/details>/g)).toHaveLength(1);
    expect(outside.match(/<\/summary>/g)).toHaveLength(1);
    expect(outside).toContain("&#60;/summary&#62;&#60;/details&#62;&#60;script&#62;alert(1)&#60;/script&#62; &#96;&#96;&#96; &#64;octocat");
  });

  it("explains a suite that could not start, with its traceback", () => {
    const output = render([], { conclusion: "failure", error: startError, exitCode: 1 });
    expect(output.summary).toContain("**The test suite could not start.**\n\nAt mysite\\/settings\\.py\\:7");
    expect(splitFences(output.summary).blocks).toEqual([startError.traceback]);
    expect(output.annotations).toEqual([expect.objectContaining({ path: "mysite/settings.py", start_line: 7, title: "Could not start the test suite" })]);
  });

  it("shows a failing command and its last output lines (issue 22: `coverage: not found`), fenced", () => {
    const message = "tox commands[0] `coverage run -m pytest` exited with code 127 (no test failed)";
    const traceback = `${message}\n\nIts last line of output:\nsh: 1: coverage: not found`;
    const output = render([], { conclusion: "failure", error: { message, traceback }, exitCode: 127 });
    expect(output.title).toBe(`Could not start: ${message}`);
    expect(splitFences(output.summary).blocks).toEqual([traceback]);
  });

  it("tells an infrastructure error apart from the project's failures, and annotates nothing", () => {
    const output = render([], { conclusion: "error", error: { message: "environment build failed: pip exited with 1", location: { path: "requirements.txt", line: 3 } } });
    expect(output.summary).toContain("**Infrastructure error.** The runner could not run this cell; this is not a problem in your code.");
    expect(output.annotations).toEqual([]);
  });

  it.each([
    ["timed out", { conclusion: "timed_out" as const, durationMs: 1_200_000 }, "Timed out after 20 min (2 passed, 1 failed so far)"],
    ["cancelled", { conclusion: "cancelled" as const, durationMs: 5_000 }, "Cancelled after 5.0 s (2 passed, 1 failed so far)"],
  ])("renders a %s cell with what ran before it stopped", (_name, finished, title) => {
    const tests = [...testResults(2, "passed"), ...testResults(1, "failed")];
    const output = render(tests, finished);
    expect(output.title).toBe(title);
    expect(output.summary).toContain("### Failed tests (1)");
    expect(output.annotations).toHaveLength(1);
  });
});

describe("renderCheckOutput: size limits", () => {
  it("keeps 120 failed tests within 65535 bytes and counts the ones it could not list", () => {
    const failed = testResults(120, "failed").map((t) => ({ ...t, traceback: `${t.traceback}\n${"  frame\n".repeat(400)}` }));
    const output = render([...testResults(80, "passed"), ...failed]);
    const listed = output.summary.match(/<details>/g)?.length ?? 0;
    expect(listed).toBeGreaterThan(20);
    expect(listed).toBeLessThan(120);
    expect(output.summary).toContain(`…and ${120 - listed} more failed tests, left out`);
    expect(output.annotations).toHaveLength(120);
  });

  it("cuts a 200 KB traceback in the middle, keeping the exception", () => {
    const traceback = `Traceback (most recent call last):\n${'  File "polls/x.py", line 1, in f\n'.repeat(6_000)}RecursionError: maximum recursion depth exceeded`;
    expect(traceback.length).toBeGreaterThan(200_000);
    const output = render([testResult("polls.tests.R.test_deep", "failed", { traceback })]);
    const [block] = splitFences(output.summary).blocks;
    expect(block?.startsWith("Traceback (most recent call last):")).toBe(true);
    expect(block?.endsWith("RecursionError: maximum recursion depth exceeded")).toBe(true);
    expect(block).toMatch(/… \d+ characters cut …/);
    expect(output.annotations[0]?.raw_details?.endsWith("RecursionError: maximum recursion depth exceeded")).toBe(true);
  });

  it("survives a traceback that is one long backtick run", () => {
    const output = render([testResult("t", "failed", { traceback: "`".repeat(100_000) })], { conclusion: "failure", error: { message: "`".repeat(100_000) } });
    expect(splitFences(output.summary).blocks.length).toBeGreaterThan(0);
  });

  it("keeps 300-char test ids within limits everywhere", () => {
    const id = `tests/test_matrix.py::test_render[${"case-".repeat(53)}]`;
    expect(id.length).toBeGreaterThanOrEqual(300);
    const output = render([testResult(id, "failed", { durationMs: 5_000 })]);
    expect(output.annotations[0]?.title?.length).toBeLessThanOrEqual(255);
    expect(output.summary).toContain("tests/test_matrix.py::test_render[case-case-");
  });

  it("shows the end of a 70 000-character log", () => {
    const lines = Array.from({ length: 1_000 }, (_, i) => `line ${String(i).padStart(4, "0")} ${"·".repeat(62)}`);
    expect(lines.join("\n").length).toBeGreaterThan(70_000);
    const { text } = render(testResults(1, "passed"), {}, lines);
    expect(bytes(text)).toBeLessThanOrEqual(65_535);
    const [block] = splitFences(text).blocks;
    const shown = block?.split("\n") ?? [];
    expect(shown.at(-1)).toBe(lines.at(-1));
    expect(shown).toEqual(lines.slice(lines.length - shown.length));
    expect(text).toMatch(new RegExp(`^\\*\\*Last ${shown.length} lines of output\\*\\* \\(${1_000 - shown.length} older lines left out`));
  });

  it("keeps the end of a single huge log line, and says when there was no output", () => {
    const { text } = render(testResults(1, "passed"), {}, [`start ${"y".repeat(80_000)} end`]);
    expect(splitFences(text).blocks[0]?.endsWith("y end")).toBe(true);
    expect(render(testResults(1, "passed"), {}, []).text).toBe("_No output was captured._\n");
  });

  it("strips ANSI colours from the log and fences it against backticks", () => {
    const { text } = render(testResults(1, "passed"), {}, ["\u001b[32mok\u001b[0m", "```", "# not a heading"]);
    expect(splitFences(text).blocks).toEqual(["ok\n```\n# not a heading"]);
  });
});

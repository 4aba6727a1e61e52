import { describe, expect, it } from "@jest/globals";
import { buildAnnotations } from "../../src/github/checks/build-annotations.js";
import { normalizeAnnotationPath } from "../../src/github/checks/normalize-annotation-path.js";
import { testResult, testResults } from "../support/github-check-fixtures.js";
import { assertValidRequestBody } from "../support/github-schema.js";

const UPDATE = "/repos/{owner}/{repo}/check-runs/{check_run_id}";
const bytes = (s: string | undefined) => Buffer.byteLength(s ?? "", "utf8");

describe("normalizeAnnotationPath", () => {
  it.each([
    ["polls/tests.py", "polls/tests.py"],
    ["./polls/tests.py", "polls/tests.py"],
    ["/workspace/polls/tests.py", "polls/tests.py"],
    ["polls\\tests.py", "polls/tests.py"],
    ["polls//./tests.py", "polls/tests.py"],
    ["/usr/lib/python3/dist-packages/django/test/testcases.py", undefined],
    ["../outside.py", undefined],
    ["polls/../../etc/passwd", undefined],
    ["", undefined],
    ["./", undefined],
  ])("%s → %s", (input, output) => {
    expect(normalizeAnnotationPath(input)).toBe(output);
  });

  it("strips configured workspace prefixes", () => {
    expect(normalizeAnnotationPath("/src/app/polls/models.py", ["/src/app"])).toBe("polls/models.py");
  });
});

describe("buildAnnotations", () => {
  it("annotates failed and erroring tests at their file and line, without columns", () => {
    const tests = [
      testResult("polls.tests.A.test_ok", "passed"),
      testResult("polls.tests.A.test_bad", "failed", { location: { path: "./polls/tests.py", line: 12 } }),
      testResult("polls.tests.A.test_boom", "error", { message: "KeyError: 'x'", location: { path: "/workspace/polls/views.py", line: 30 } }),
      testResult("polls.tests.A.test_skip", "skipped"),
      testResult("polls.tests.A.test_xf", "xfail"),
    ];
    expect(buildAnnotations({ tests })).toEqual([
      {
        path: "polls/tests.py",
        start_line: 12,
        end_line: 12,
        annotation_level: "failure",
        title: "polls.tests.A.test_bad",
        message: "AssertionError: polls.tests.A.test_bad broke",
        raw_details: tests[1]?.traceback,
      },
      {
        path: "polls/views.py",
        start_line: 30,
        end_line: 30,
        annotation_level: "failure",
        title: "polls.tests.A.test_boom",
        message: "KeyError: 'x'",
        raw_details: tests[2]?.traceback,
      },
    ]);
  });

  it("puts the crash-before-start error first", () => {
    const annotations = buildAnnotations({
      tests: [],
      startError: { message: "ModuleNotFoundError: No module named 'debug_toolbar'", location: { path: "/workspace/mysite/settings.py", line: 7 }, traceback: "Traceback ...\nModuleNotFoundError: No module named 'debug_toolbar'" },
    });
    expect(annotations).toEqual([
      {
        path: "mysite/settings.py",
        start_line: 7,
        end_line: 7,
        annotation_level: "failure",
        title: "Could not start the test suite",
        message: "ModuleNotFoundError: No module named 'debug_toolbar'",
        raw_details: "Traceback ...\nModuleNotFoundError: No module named 'debug_toolbar'",
      },
    ]);
  });

  it.each([
    ["no location", { location: undefined }],
    ["a path outside the repository", { location: { path: "/usr/lib/python3/django/test/testcases.py", line: 3 } }],
  ])("leaves out a failure with %s", (_name, overrides) => {
    expect(buildAnnotations({ tests: [testResult("t", "failed", overrides)] })).toEqual([]);
  });

  it.each([
    ["a message", { message: "boom" }, "boom"],
    ["only a traceback", { message: undefined, traceback: "Traceback\n  File x\nValueError: bad\n" }, "ValueError: bad"],
    ["neither", { message: "  ", traceback: undefined }, "The test failed."],
  ])("takes the message from %s", (_name, overrides, message) => {
    expect(buildAnnotations({ tests: [testResult("t", "failed", overrides)] })[0]?.message).toBe(message);
  });

  it("repairs line numbers GitHub would reject", () => {
    const lines = [0, -3, 4.7, Number.NaN].map((line) => buildAnnotations({ tests: [testResult("t", "failed", { location: { path: "a.py", line } })] })[0]?.start_line);
    expect(lines).toEqual([1, 1, 4, 1]);
  });

  it("drops duplicates", () => {
    const twice = testResult("polls.tests.A.test_bad", "failed");
    expect(buildAnnotations({ tests: [twice, { ...twice }, testResult("polls.tests.A.test_other", "failed")] })).toHaveLength(2);
  });

  it("keeps titles within 255 chars and message/raw_details within 64 KB", () => {
    const id = `tests/test_params.py::test_case[${"p".repeat(300)}]`;
    const [annotation] = buildAnnotations({ tests: [testResult(id, "failed", { message: "m".repeat(70_000), traceback: `${"frame\n".repeat(30_000)}ValueError: end` })] });
    expect(annotation?.title?.length).toBeLessThanOrEqual(255);
    expect(annotation?.title?.startsWith("tests/test_params.py::test_case[")).toBe(true);
    expect(annotation?.title?.endsWith("p]")).toBe(true);
    expect(bytes(annotation?.message)).toBeLessThanOrEqual(64_000);
    expect(bytes(annotation?.raw_details)).toBeLessThanOrEqual(64_000);
    expect(annotation?.raw_details?.endsWith("ValueError: end")).toBe(true);
    assertValidRequestBody("PATCH", UPDATE, { output: { title: "t", summary: "s", annotations: [annotation] } });
  });

  it("caps the total at 150 by default, the last one saying how many were left out", () => {
    const annotations = buildAnnotations({ tests: testResults(170, "failed") });
    expect(annotations).toHaveLength(150);
    expect(annotations.slice(0, 149).every((a) => a.annotation_level === "failure")).toBe(true);
    expect(annotations[149]).toMatchObject({ annotation_level: "notice", title: "21 more failures not annotated", path: "polls/tests.py", start_line: 150 });
    expect(annotations[149]?.message).toContain("21 more failures were left out");
  });

  it.each([
    [3, 5, 3, "3 more"],
    [10, 10, 10, undefined],
    [1, 2, 1, "2 more"],
  ])("caps at a configured maximum of %d (%d failures)", (max, failures, length, notice) => {
    const annotations = buildAnnotations({ tests: testResults(failures, "failed"), maxAnnotations: max });
    expect(annotations).toHaveLength(length);
    expect(annotations.at(-1)?.title?.startsWith(notice ?? "polls.tests")).toBe(true);
  });

  it("refuses a cap below 1", () => {
    expect(() => buildAnnotations({ tests: [], maxAnnotations: 0 })).toThrow(RangeError);
  });
});

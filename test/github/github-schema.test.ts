import { describe, expect, it } from "@jest/globals";
import { assertValidRequestBody, hasOperation, validateRequestBody } from "../support/github-schema.js";

const CREATE = "/repos/{owner}/{repo}/check-runs";
const UPDATE = "/repos/{owner}/{repo}/check-runs/{check_run_id}";

const annotation = (i: number) => ({ path: "polls/tests.py", start_line: i + 1, end_line: i + 1, annotation_level: "failure", message: `failure ${i}` });
const completed = { status: "completed", conclusion: "failure", output: { title: "1 failed", summary: "s" } };

describe("GitHub request-body schemas", () => {
  it("knows the operations in GitHub's spec and nothing else", () => {
    expect(hasOperation("POST", CREATE)).toBe(true);
    expect(hasOperation("patch", UPDATE)).toBe(true);
    expect(hasOperation("POST", "/repos/{owner}/{repo}/check-run")).toBe(false);
    expect(() => validateRequestBody("POST", "/no/such/path", {})).toThrow(/not an operation in GitHub's REST spec/);
  });

  it.each([
    ["create, queued", "POST", CREATE, { name: "Python 3.13 · Django 5.2", head_sha: "a".repeat(40), status: "queued" }],
    ["create, completed with output", "POST", CREATE, { name: "n", head_sha: "abc", ...completed }],
    ["update, in progress", "PATCH", UPDATE, { status: "in_progress", output: { title: "Running", summary: "s" } }],
    ["update, 50 annotations", "PATCH", UPDATE, { output: { title: "t", summary: "s", annotations: Array.from({ length: 50 }, (_, i) => annotation(i)) } }],
    ["update, 3 buttons at their limits", "PATCH", UPDATE, { ...completed, actions: Array.from({ length: 3 }, () => ({ label: "x".repeat(20), description: "d".repeat(40), identifier: "i".repeat(20) })) }],
    ["update, summary of exactly 65535 bytes", "PATCH", UPDATE, { output: { title: "t", summary: "é".repeat(32767) + "a" } }],
    ["installation token without body", "POST", "/app/installations/{installation_id}/access_tokens", undefined],
  ])("accepts a valid body: %s", (_name, method, path, body) => {
    expect(validateRequestBody(method, path, body)).toEqual([]);
    expect(() => assertValidRequestBody(method, path, body)).not.toThrow();
  });

  it.each([
    ["51 annotations", "PATCH", UPDATE, { output: { title: "t", summary: "s", annotations: Array.from({ length: 51 }, (_, i) => annotation(i)) } }, "/output/annotations must NOT have more than 50 items"],
    ["a label of 21 chars", "PATCH", UPDATE, { ...completed, actions: [{ label: "x".repeat(21), description: "d", identifier: "i" }] }, "/actions/0/label must NOT have more than 20 characters"],
    ["4 buttons", "PATCH", UPDATE, { ...completed, actions: Array.from({ length: 4 }, () => ({ label: "l", description: "d", identifier: "i" })) }, "/actions must NOT have more than 3 items"],
    ["completed without conclusion", "PATCH", UPDATE, { status: "completed", output: { title: "t", summary: "s" } }, "must have required property 'conclusion'"],
    ["an unknown conclusion", "PATCH", UPDATE, { conclusion: "errored" }, "/conclusion must be equal to one of the allowed values"],
    ["a summary of 65536 characters", "PATCH", UPDATE, { output: { title: "t", summary: "a".repeat(65536) } }, "/output/summary must NOT have more than 65535 characters"],
    ["a text of 65535 characters but 131070 bytes", "PATCH", UPDATE, { output: { title: "t", summary: "s", text: "é".repeat(65535) } }, "/output/text must NOT have more than 65535 UTF-8 bytes"],
    ["an annotation title of 256 chars", "PATCH", UPDATE, { output: { title: "t", summary: "s", annotations: [{ ...annotation(0), title: "t".repeat(256) }] } }, "/output/annotations/0/title must NOT have more than 255 characters"],
    ["an annotation message over 64 KB", "PATCH", UPDATE, { output: { title: "t", summary: "s", annotations: [{ ...annotation(0), message: "m".repeat(65537) }] } }, "/output/annotations/0/message must NOT have more than 65536 UTF-8 bytes"],
    ["an annotation without message", "PATCH", UPDATE, { output: { title: "t", summary: "s", annotations: [{ path: "a.py", start_line: 1, end_line: 1, annotation_level: "failure" }] } }, "/output/annotations/0 must have required property 'message'"],
    ["create without output title", "POST", CREATE, { name: "n", head_sha: "abc", output: { summary: "s" } }, "/output must have required property 'title'"],
    ["create without head_sha", "POST", CREATE, { name: "n" }, "must have required property 'head_sha'"],
    ["a missing required body", "PATCH", UPDATE, undefined, "(body) is required"],
  ])("rejects %s", (_name, method, path, body, expected) => {
    const errors = validateRequestBody(method, path, body);
    expect(errors).toContainEqual(expect.stringContaining(expected));
    expect(() => assertValidRequestBody(method, path, body)).toThrow(expected);
  });

  it("puts the operation and every error in the thrown message", () => {
    const body = { conclusion: "nope", actions: [{ label: "x".repeat(21), description: "d", identifier: "i" }] };
    expect(() => assertValidRequestBody("PATCH", UPDATE, body)).toThrow(/PATCH \/repos\/\{owner\}\/\{repo\}\/check-runs\/\{check_run_id\}: body does not match GitHub's schema:\n.*conclusion.*\n.*label/);
  });
});

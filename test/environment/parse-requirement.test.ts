import { describe, expect, it } from "@jest/globals";
import { normalizeRequirement, parseRequirement, RequirementSyntaxError } from "../../src/domain/parse-requirement.js";
import { logicalLines, parseRequirementLine } from "../../src/domain/parse-requirement-line.js";

describe("parseRequirement: accepted, and written back in one spelling", () => {
  it.each([
    ["Django>=4.2,<5", "django>=4.2,<5"],
    ["Factory_Boy >= 3.0", "factory-boy>=3.0"],
    ["requests[Socks, security] (>=2.0)", "requests[security,socks]>=2.0"],
    ["a==1.*", "a==1.*"],
    ["a!=1.0+local", "a!=1.0+local"],
    ["a~=1.4.5", "a~=1.4.5"],
    ["a==1.0.0a1.post2.dev3", "a==1.0.0a1.post2.dev3"],
    ["pywin32; sys_platform == 'win32'", 'pywin32; sys_platform == "win32"'],
    ["a; (python_version<'3.8' or os_name not in 'nt') and extra=='x'", 'a; (python_version < "3.8" or os_name not in "nt") and extra == "x"'],
    ["a; python_version < '3.8' or os_name == 'nt' and extra == 'x'", 'a; python_version < "3.8" or (os_name == "nt" and extra == "x")'],
  ])("%j → %j", (input, canonical) => {
    expect(normalizeRequirement(input)).toBe(canonical);
    // The canonical spelling parses to itself.
    expect(normalizeRequirement(canonical)).toBe(canonical);
  });
});

describe("parseRequirement: refused", () => {
  it.each([
    // Python's splitlines() breaks at each of these: one line would become several pip lines.
    ["evil>=0\x1c--no-binary=evil", /U\+001C/],
    ["evil>=0\x1d--index-url=http://127.0.0.1/", /U\+001D/],
    ["evil>=0\x1e-r /etc/passwd", /U\+001E/],
    ["evil>=0\x85--trusted-host=x", /U\+0085/],
    ["evil>=0\u2028--no-binary=evil", /U\+2028/],
    ["evil>=0\u2029--no-binary=evil", /U\+2029/],
    ["evil>=0\x0b--no-binary=evil", /U\+000B/],
    ["evil>=0\r--no-binary=evil", /U\+000D/],
    ["evil\x00", /U\+0000/],
    ["--no-binary=:all:", /pip options/],
    ["-i https://evil.example/simple", /pip options/],
    ["--no-deps", /pip options/],
    ["pkg @ https://example.com/pkg-1.0.tar.gz", /direct reference/],
    ["git+https://github.com/x/y.git#egg=y", /not a PEP 508 requirement/],
    ["./libs/thing", /not a PEP 508 requirement/],
    ["/etc/passwd", /not a PEP 508 requirement/],
    ["thing.whl --no-binary x", /not a PEP 508 requirement/],
    ["a===anything", /not a PEP 508 requirement|operator/],
    ["a>=abc", /not a PEP 440 version/],
    ["a>=1.*", /only allowed after == or !=/],
    ["a~=1", /two release numbers/],
    ["a; python_version < '3.8\\' --x'", /not a PEP 508 requirement|not accepted/],
    ["a; os.name == 'nt'", /not a PEP 508|marker variable/],
    ["x".repeat(1001), /longer than/],
  ])("%j", (input, reason) => {
    expect(() => parseRequirement(input)).toThrow(RequirementSyntaxError);
    expect(() => parseRequirement(input)).toThrow(reason);
  });
});

describe("requirements files", () => {
  it("splits at \\n only and reports every other line break Python knows, with its line", () => {
    const lines = logicalLines("ok\n# note\nevil>=0\x1c--no-binary=evil\nfine \\\n  >=1\r\nlast\u2028--index-url=x\n");
    expect(lines).toEqual([
      { line: 1, text: "ok" },
      { line: 3, text: "", invalid: expect.stringMatching(/U\+001C/) },
      { line: 4, text: "fine >=1" },
      { line: 6, text: "", invalid: expect.stringMatching(/U\+2028/) },
    ]);
  });

  it.each([
    ["-r other.txt", { type: "include", path: "other.txt" }],
    ["--constraint=c.txt", { type: "constraint", path: "c.txt" }],
    ["-e .", { type: "skip", note: expect.stringMatching(/checkout itself/) }],
    ["-e .[test]", { type: "skip", note: expect.stringMatching(/checkout itself/) }],
    ["Django>=4", { type: "skip", note: expect.stringMatching(/cell's Django/) }],
    ["django-filter==24.1 --hash=sha256:" + "a".repeat(64), { type: "requirement", name: "django-filter", spec: "django-filter==24.1" }],
    ["-e git+https://x/y.git", { type: "invalid", reason: expect.stringMatching(/pip options/) }],
    ["--index-url https://mirror.example/simple", { type: "invalid", reason: expect.stringMatching(/pip options/) }],
    ["-r '/etc/passwd --no-binary x'", { type: "invalid", reason: expect.stringMatching(/path may hold only/) }],
    ["foo==1 --hash=md5:abc", { type: "invalid", reason: expect.anything() }],
  ])("%j", (line, expected) => {
    expect(parseRequirementLine(line)).toEqual(expected);
  });
});

import { describe, expect, it } from "@jest/globals";
import { classifyPipFailure } from "../../runner/src/environment/classify-pip-failure.js";
import { computeEnvironmentKey, type EnvironmentKeyInput } from "../../runner/src/environment/compute-environment-key.js";
import { parseRequirementLine } from "../../src/domain/parse-requirement-line.js";
import { parseDjangoSpec, pickDjangoVersion } from "../../runner/src/environment/pick-django-version.js";
import { pipTargetArgs } from "../../runner/src/environment/pip-target-args.js";
import { readPyproject } from "../../src/domain/read-pyproject.js";
import { RequirementsError } from "../../src/domain/requirements-error.js";

describe("parseRequirementLine", () => {
  it.each([
    ["Factory_Boy>=3", { type: "requirement", name: "factory-boy", spec: "factory-boy>=3" }],
    ["requests [Socks, security] >= 2.0 , < 3", { type: "requirement", name: "requests", spec: "requests[security,socks]>=2.0,<3" }],
    ['tomli ; python_version  <  "3.11"', { type: "requirement", name: "tomli", spec: 'tomli; python_version < "3.11"' }],
    ["-r other.txt", { type: "include", path: "other.txt" }],
    ["-rother.txt", { type: "include", path: "other.txt" }],
    ["--constraint=c.txt", { type: "constraint", path: "c.txt" }],
    ["", { type: "empty" }],
  ])("%s", (line, expected) => {
    expect(parseRequirementLine(line)).toEqual(expected);
  });

  it.each(["-e .", "Django==4.2"])("skips %s with a note", (line) => {
    const parsed = parseRequirementLine(line);
    expect(parsed.type).toBe("skip");
    expect(parsed.type === "skip" && parsed.note.length > 10).toBe(true);
  });

  it.each(["--editable=git+https://x/y", "hg+https://x/y", "https://x/y.whl", "./pkg", "/abs/pkg", "pkg.whl", "x @ https://y", "--pre", "not a requirement!"])(
    "refuses %s with a reason",
    (line) => {
      const parsed = parseRequirementLine(line);
      expect(parsed.type).toBe("invalid");
      expect(parsed.type === "invalid" && parsed.reason.length > 10).toBe(true);
    },
  );
});

describe("Django versions", () => {
  const listed = ["6.0a1", "5.2.3", "5.2.10", "5.2", "5.2rc1", "4.2.9", "4.2.30", "4.2"];
  it.each([
    ["5.2", "5.2.10"],
    ["4.2", "4.2.30"],
    ["6.0", "6.0a1"],
    ["3.2", undefined],
  ])("series %s → %s", (series, want) => {
    expect(pickDjangoVersion(series, listed)).toBe(want);
  });
  it.each([
    ["4.2", { type: "series", series: "4.2" }],
    ["5.2.3", { type: "exact", version: "5.2.3" }],
    ["6.0b1", { type: "exact", version: "6.0b1" }],
    ["latest", { type: "invalid" }],
    ["4", { type: "invalid" }],
  ])("spec %s", (spec, want) => {
    expect(parseDjangoSpec(spec)).toEqual(want);
  });
});

describe("classifyPipFailure", () => {
  it("a missing package is the project's fault and names the requirement", () => {
    const f = classifyPipFailure(
      [
        "ERROR: Could not find a version that satisfies the requirement nope-pkg==1.0 (from versions: none)",
        "ERROR: No matching distribution found for nope-pkg==1.0",
      ],
      { python: "3.11" },
    );
    expect(f.kind).toBe("project");
    expect(f.missing).toBe("nope-pkg==1.0");
    expect(f.message).toContain("No matching distribution found for nope-pkg==1.0");
    expect(f.message).toContain("Python 3.11");
  });
  it("conflicts are the project's fault and quote pip's explanation", () => {
    const f = classifyPipFailure(
      ["ERROR: Cannot install a and b because these package versions have conflicting dependencies.", "", "The conflict is caused by:", "    a 1.0 depends on c<2", "    b 1.0 depends on c>=2", "ERROR: ResolutionImpossible: for help visit …"],
      { python: "3.11" },
    );
    expect(f.kind).toBe("project");
    expect(f.message).toContain("a 1.0 depends on c<2");
  });
  it("an unreachable index is infrastructure even though pip says 'from versions: none'", () => {
    const f = classifyPipFailure(
      [
        "WARNING: Retrying (Retry(total=4, connect=None)) after connection broken by 'NewConnectionError(…)': /simple/x/",
        "ERROR: Could not find a version that satisfies the requirement x (from versions: none)",
        "ERROR: No matching distribution found for x",
      ],
      { python: "3.11" },
    );
    expect(f.kind).toBe("infrastructure");
    expect(f.missing).toBeUndefined();
  });
  it("a full disk is infrastructure", () => {
    expect(classifyPipFailure(["ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device"], { python: "3.9" }).kind).toBe("infrastructure");
  });
});

describe("pipTargetArgs", () => {
  it("lists every manylinux tag the image's glibc accepts", () => {
    const args = pipTargetArgs({ python: "3.13", libc: "glibc", libcVersion: "2.19", machine: "x86_64" });
    const platforms = args.filter((_, i) => args[i - 1] === "--platform");
    expect(platforms).toEqual(["manylinux_2_19_x86_64", "manylinux_2_18_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]);
    expect(args).toEqual(expect.arrayContaining(["--python-version", "3.13", "--abi", "cp313", "--implementation", "cp", "--only-binary=:all:"]));
  });

  it("asks for PyPy's wheels (pp, the ABI tag the interpreter reports) in a PyPy image", () => {
    const args = pipTargetArgs({ python: "3.11", libc: "glibc", libcVersion: "2.41", machine: "x86_64", implementation: "pypy", abi: "pypy311_pp73" });
    expect(args.slice(0, 6)).toEqual(["--python-version", "3.11", "--implementation", "pp", "--abi", "pypy311_pp73"]);
  });
});

describe("computeEnvironmentKey", () => {
  const base: EnvironmentKeyInput = { baseImageId: "sha256:1", python: "3.11", django: "4.2.30", requirements: ["a", "b"], constraints: [], files: [{ path: "r.txt", content: "a\nb\n" }] };
  it("ignores order and changes with every input", () => {
    const key = computeEnvironmentKey(base);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(computeEnvironmentKey({ ...base, requirements: ["b", "a", "a"] })).toBe(key);
    for (const change of [
      { baseImageId: "sha256:2" },
      { python: "3.12" },
      { django: "4.2.29" },
      { requirements: ["a"] },
      { constraints: ["a<2"] },
      { files: [{ path: "r.txt", content: "a\nb\n# changed\n" }] },
      { salt: "x" },
    ]) {
      expect(computeEnvironmentKey({ ...base, ...change })).not.toBe(key);
    }
  });
});

describe("readPyproject", () => {
  it("reads arrays per table, with quoted keys, literal strings and comments, and where each string is", () => {
    const toml = readPyproject(`
title = "x = [1]"
[project]
dependencies = [ # runtime
  "a>=1", 'b',
]
[project.optional-dependencies]
"test" = ["c; python_version < \\"3.11\\""]
description = """multi
line = ["not", "this"]
"""
[build-system]
requires = ["setuptools>=61", "wheel"]
`, "pyproject.toml");
    expect(toml.array(["project", "dependencies"])?.strings).toEqual([{ text: "a>=1", line: 5 }, { text: "b", line: 5 }]);
    expect(toml.array(["project", "optional-dependencies", "test"])?.strings.map((s) => s.text)).toEqual(['c; python_version < "3.11"']);
    expect(toml.array(["build-system", "requires"])?.strings).toEqual([{ text: "setuptools>=61", line: 13 }, { text: "wheel", line: 13 }]);
    expect(toml.array(["line"])).toBeUndefined();
  });

  it("reports broken TOML as a config error naming the file and line", () => {
    expect(() => readPyproject('[project]\ndependencies = ["a",\n= 3\n', "pyproject.toml")).toThrow(RequirementsError);
    expect(() => readPyproject('[project]\ndependencies = ["a",\n= 3\n', "pyproject.toml")).toThrow(/^pyproject.toml, line \d+: not valid TOML/);
  });
});

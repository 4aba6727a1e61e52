import { describe, expect, it } from "@jest/globals";
import { readToxConfig } from "../../src/builds/matrix/read-tox-config.js";
import type { ToxEnvCell } from "../../src/builds/matrix/matrix-from-tox.js";
import { filterToxFactors } from "../../src/builds/tox/filter-tox-factors.js";
import { pickToxEnv } from "../../src/builds/tox/pick-tox-env.js";
import { planToxJob } from "../../src/builds/tox/plan-tox-job.js";
import { readPackageExtras } from "../../src/builds/tox/read-package-extras.js";
import { resolveToxEnv } from "../../src/builds/tox/resolve-tox-env.js";
import { substituteToxValue } from "../../src/builds/tox/substitute-tox-value.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
const resolve = (ini: string, env: string, environ: Record<string, string> = {}) => {
  const tox = readToxConfig(reader({ "tox.ini": ini }));
  if (!tox) throw new Error("no tox config");
  return resolveToxEnv(tox, env, { environ });
};

describe("filterToxFactors", () => {
  const factors = new Set(["py311", "django42", "sqlite3", "linux"]);
  it.each([
    ["django42: a", "a"],
    ["django52: a", ""],
    ["sqlite3,mysql: a", "a"],
    ["py311-django42: a", "a"],
    ["py311-django52: a", ""],
    ["!mysql: a", "a"],
    ["!sqlite3: a", ""],
    ["django{42,52}: a", "a"],
    ["py{39,310}-django42: a", ""],
    ["linux: a", "a"],
    ['python -c "x: y"', 'python -c "x: y"'],
    ["http://example.org/x", "http://example.org/x"],
    ["mysql: a \\\n  continued\nb", "b"],
    ["django42: a \\\n  continued", "a \\\n  continued"],
  ])("%j", (value, kept) => {
    expect(filterToxFactors(value, factors)).toBe(kept);
  });
});

describe("substituteToxValue", () => {
  const table: Record<string, string> = { a: "A", "b:x": "B", "env:N:A": "ok" };
  it.each([
    ["{a}-{b:x}", "A-B"],
    ["{env:N:{a}}", "ok"],
    ["\\{a\\}", "{a}"],
    ["{unknown}", "{unknown}"],
    ["{never closed", "{never closed"],
  ])("%j", (value, out) => {
    expect(substituteToxValue(value, (expr) => table[expr])).toBe(out);
  });
});

describe("resolveToxEnv", () => {
  it("a [testenv:x] setting overrides [testenv]; others are inherited", () => {
    const env = resolve("[testenv]\ndeps = pytest\ncommands = pytest\n[testenv:x]\ncommands = pytest -x\n", "x");
    expect(env.commands).toEqual([{ argv: ["pytest", "-x"] }]);
    expect(env.deps).toEqual(["pytest"]);
  });

  it("a value whose lines are all for other factors falls through to the base section, as in tox", () => {
    const env = resolve("[testenv]\ncommands = base\n[testenv:py311-django42]\ncommands = django52: only52\n", "py311-django42");
    expect(env.commands).toEqual([{ argv: ["base"] }]);
  });

  it("generative section names match their envs", () => {
    expect(resolve("[testenv:py{311,312}-lint]\ncommands = ruff\n", "py312-lint").commands).toEqual([{ argv: ["ruff"] }]);
  });

  it("{posargs} is empty, its default is used, {env:X} reads set_env then the container, then its default", () => {
    const env = resolve("[testenv]\nsetenv =\n  A = 1\n  B = {env:A}-{env:CI}-{env:NOPE:dflt}-{env:NOPE}\ncommands = run {posargs} {posargs:a b}\n", "e", { CI: "true" });
    expect(env.setenv.B).toBe("1-true-dflt-");
    expect(env.commands).toEqual([{ argv: ["run", "a", "b"] }]);
  });

  it("never reads the host's environment", () => {
    process.env.PONYCI_TEST_SECRET = "s3cret";
    try {
      expect(resolve("[testenv]\nsetenv = X = {env:PONYCI_TEST_SECRET}\ncommands = x\n", "e").setenv.X).toBe("");
    } finally {
      delete process.env.PONYCI_TEST_SECRET;
    }
  });

  it.each([
    ["changedir = {toxinidir}/tests", "tests", undefined],
    ["changedir = tests/unit/", "tests/unit", undefined],
    ["changedir = {toxinidir}/../elsewhere", "", "outside the repository"],
    ["changedir = /etc", "", "outside the repository"],
    ["changedir = {envtmpdir}", "", "outside the repository"],
  ])("%s", (line, dir, note) => {
    const env = resolve(`[testenv]\n${line}\ncommands = x\n`, "e");
    expect(env.changedir).toBe(dir);
    if (note) expect(env.notes.join("\n")).toContain(note);
    else expect(env.notes).toEqual([]);
  });

  it.each([
    ["passenv = SECRET_TOKEN, AWS_*", "pass_env SECRET_TOKEN, AWS_*: the host's variables are never passed into the test container"],
    ["setenv = file|.env", "set_env file|.env (variables from a file) is not supported: not set"],
    ["install_command = pip install {opts} {packages}", "tox setting install_command (in [testenv]) is not honoured by Pony CI"],
    ["commands = run {unheard_of}", "tox substitution {unheard_of} in commands is not supported: left as it is"],
    ["commands = {[nowhere]cmd}", "tox reference {[nowhere]cmd} could not be resolved: left as it is"],
  ])("names what it cannot honour: %s", (line, note) => {
    const env = resolve(`[testenv]\n${line}\n`, "e");
    expect(env.notes).toContain(note);
    expect(env.setenv).not.toHaveProperty("SECRET_TOKEN");
  });

  it("package = skip is skip_install", () => {
    expect(resolve("[testenv]\npackage = skip\n", "e").skipInstall).toBe(true);
  });

  it("reads tox.ini embedded in pyproject.toml and setup.cfg alike", () => {
    const cfg = readToxConfig(reader({ "setup.cfg": "[tox:tox]\nenvlist = py311\n[testenv]\ncommands = pytest {posargs}\n" }));
    expect(cfg && resolveToxEnv(cfg, "py311").commands).toEqual([{ argv: ["pytest"] }]);
  });
});

describe("pickToxEnv", () => {
  const envs: ToxEnvCell[] = [
    { name: "lint", cell: undefined, deps: [] },
    { name: "py310-django42", cell: { python: "3.10", django: "4.2" }, deps: [] },
    { name: "py312-django51", cell: { python: "3.12", django: "5.1" }, deps: [] },
    { name: "py312-django50", cell: { python: "3.12", django: "5.0" }, deps: [] },
  ];
  it.each([
    [{ python: "3.10", django: "4.2" }, { name: "py310-django42", exact: true }],
    [{ python: "3.13", django: "5.2" }, { name: "py312-django51", exact: false }],
    [{ python: "3.11", django: "4.2" }, { name: "py310-django42", exact: false }],
    [{ python: "3.12", django: "4.0" }, { name: "py310-django42", exact: false }],
    // A database the services give (a workflow's, `services:`): an env naming none is the cell's own.
    [{ python: "3.10", django: "4.2", database: "postgres" as const }, { name: "py310-django42", exact: true }],
  ])("%j", (cell, picked) => {
    expect(pickToxEnv(envs, cell)).toEqual(picked);
  });

  it("is undefined when no env names a Django release", () => {
    expect(pickToxEnv(envs.slice(0, 1), { python: "3.11", django: "4.2" })).toBeUndefined();
  });
});

describe("readPackageExtras", () => {
  it("reads pyproject optional dependencies, following self-references", () => {
    const files = { "pyproject.toml": '[project]\nname = "My_Pkg"\n[project.optional-dependencies]\ntest = ["pytest>=8", "my-pkg[db]"]\ndb = ["psycopg"]\n' };
    expect(readPackageExtras(reader(files), ["test", "docs"])).toEqual({ requirements: ["pytest>=8", "psycopg"], missing: ["docs"] });
  });

  it("reads setup.cfg extras_require", () => {
    const files = { "setup.cfg": "[metadata]\nname = pkg\n[options.extras_require]\ntesting =\n    pytest\n    coverage\n" };
    expect(readPackageExtras(reader(files), ["testing"])).toEqual({ requirements: ["pytest", "coverage"], missing: [] });
  });
});

describe("planToxJob", () => {
  const ini = "[tox]\nenvlist = py312-django51\n[testenv]\ndeps = coverage\nextras = db\nsetenv = DJANGO_SETTINGS_MODULE = tests.settings\n    MODE = tox\ncommands = coverage run -m pytest\nignore_outcome = true\n";
  const files = { "tox.ini": ini, "pyproject.toml": '[project]\nname = "p"\n[project.optional-dependencies]\ndb = ["psycopg"]\n' };

  it("says when it runs the nearest env, keeps the config's env over set_env, and appends the checkout to PYTHONPATH", () => {
    const parts = planToxJob(reader(files), { python: "3.13", django: "5.2" }, { configEnv: { MODE: "config" } });
    expect(parts).toMatchObject({
      envName: "py312-django51",
      requirements: ["coverage", "psycopg"],
      detectRequirements: true,
      ignoreOutcome: true,
      commands: { main: [{ argv: ["coverage", "run", "-m", "pytest"] }], cwd: "", source: "tox env py312-django51 (tox.ini)" },
    });
    expect(parts?.env).toMatchObject({ DJANGO_SETTINGS_MODULE: "tests.settings", PYTHONPATH: "{toxinidir}:{toxinidir}/src" });
    expect(parts?.env).not.toHaveProperty("MODE");
    expect(parts?.notes).toEqual(["The tox envlist has no env for Python 3.13 · Django 5.2: running tox env py312-django51, the nearest match"]);
  });

  it("skip_install with `-e .[db]` in deps still installs the project and its extras", () => {
    const parts = planToxJob(reader({ ...files, "tox.ini": ini.replace("extras = db", "skip_install = true").replace("deps = coverage", "deps = coverage\n    -e {toxinidir}[db]") }), { python: "3.12", django: "5.1" });
    expect(parts).toMatchObject({ requirements: ["coverage", "psycopg"], detectRequirements: true });
    expect(parts?.env.PYTHONPATH).toBe("{toxinidir}:{toxinidir}/src");
  });

  it("does not carry commands too long for the container's environment", () => {
    const parts = planToxJob(reader({ "tox.ini": `[tox]\nenvlist = py312-django51\n[testenv]\ncommands = echo ${"x".repeat(70_000)}\n` }), { python: "3.12", django: "5.1" });
    expect(parts?.commands).toBeUndefined();
    expect(parts?.notes).toContain("tox env py312-django51: its commands and set_env are longer than 64 KiB: not run; Pony CI detects the test command itself");
  });

  it("skip_install installs only deps, as tox does", () => {
    const parts = planToxJob(reader({ "tox.ini": ini.replace("ignore_outcome = true", "skip_install = true") }), { python: "3.12", django: "5.1" });
    expect(parts).toMatchObject({ requirements: ["coverage"], detectRequirements: false });
    expect(parts?.env).not.toHaveProperty("PYTHONPATH");
  });
});

describe("resolveToxEnv on hostile tox.ini text (it is untrusted: work stays bounded)", () => {
  it("keeps absurdly deep brace nesting literally", () => {
    const deep = `${"{".repeat(50_000)}x${"}".repeat(50_000)}`;
    const env = resolve(`[testenv]\ncommands = run ${deep}\n`, "e");
    expect(env.commands[0]?.argv[0]).toBe("run");
    expect(env.commands[0]?.argv[1]?.length).toBe(deep.length);
  });

  it("stops references that multiply text, with a note", () => {
    const levels = Array.from({ length: 8 }, (_, i) => `k${i} = ${`{[s]k${i + 1}} `.repeat(10)}`);
    const env = resolve(`[s]\n${levels.join("\n")}\nk8 = ${"x".repeat(100)}\n[testenv]\ncommands = {[s]k0}\n`, "e");
    expect(env.notes.some((n) => n.startsWith("tox references expand to more than 1000000 characters"))).toBe(true);
  });

  it("does not expand a condition or a section name into billions of names", () => {
    const bomb = "{a,b}".repeat(40);
    const env = resolve(`[testenv:${bomb}]\ncommands = wrong\n[testenv]\ncommands =\n  ${bomb}: x\n  run\n`, "aaaa");
    expect(env.commands.map((c) => c.argv)).toEqual([[`${bomb}:`, "x"], ["run"]]);
  });
});

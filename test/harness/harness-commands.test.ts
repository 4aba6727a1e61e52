import { beforeAll, describe, expect, it } from "@jest/globals";
import type { CommandPlan, CommandStep } from "../../src/domain/job-spec.js";
import { ensureVenv, markerLine, outcomesById, runHarness } from "./harness-fixture.js";

/** The harness running a job spec's command plan (PONYCI_COMMANDS), on the host against a trusted fixture. */
describe("harness with a command plan", () => {
  let venvBin = "";
  beforeAll(async () => {
    venvBin = await ensureVenv({ name: "django52", requirements: ["django~=5.2.0", "pytest", "pytest-django"] });
  }, 600_000);

  const say = (text: string, code = 0): CommandStep => ({ argv: ["{envpython}", "-c", `import sys; print(${JSON.stringify(text)}); sys.exit(${code})`] });
  const plan = (parts: Partial<CommandPlan>): CommandPlan => ({ pre: [], main: [], post: [], cwd: "", env: {}, ignoreErrors: false, source: "tox env t (tox.ini)", ...parts });
  const run = (commands: CommandPlan) => runHarness({ project: "tox-section-ref", venvBin, env: { PONYCI_COMMANDS: JSON.stringify(commands) } });
  const printed = (stdout: string) => stdout.split("\n").filter((line) => /^[A-Z]\d?$/.test(line));

  it.each([
    { name: "in order: pre, main, post", commands: plan({ pre: [say("P")], main: [say("M1"), say("M2")], post: [say("Z")] }), out: ["P", "M1", "M2", "Z"], exit: 0 },
    { name: "a failing pre skips main; post still runs", commands: plan({ pre: [say("P", 4)], main: [say("M1")], post: [say("Z")] }), out: ["P", "Z"], exit: 4 },
    { name: "main stops at its first failure; post still runs", commands: plan({ main: [say("M1", 2), say("M2")], post: [say("Z", 5)] }), out: ["M1", "Z"], exit: 2 },
    { name: "ignore_errors runs every command; the first failure's code wins", commands: plan({ main: [say("M1", 2), say("M2", 3)], ignoreErrors: true }), out: ["M1", "M2"], exit: 2 },
    { name: "'-' ignores an exit code", commands: plan({ main: [{ ...say("M1", 9), ignoreExitCode: true }, say("M2")] }), out: ["M1", "M2"], exit: 0 },
    { name: "'!' inverts it", commands: plan({ main: [{ ...say("M1", 1), invertExitCode: true }, { ...say("M2", 0), invertExitCode: true }, say("M3")] }), out: ["M1", "M2"], exit: 1 },
  ])("$name", async ({ commands, out, exit }) => {
    const result = await run(commands);
    expect(printed(result.stdout)).toEqual(out);
    expect(result.exitCode).toBe(exit);
    expect(result.events.at(-1)).toMatchObject({ event: "end", exit_code: exit });
  });

  it("names the first command that failed the run, after its own output and the harness's `failed` line", async () => {
    const result = await run(plan({ main: [say("M1", 2), say("M2")], post: [say("Z", 5)] }));
    expect(result.events.filter((e) => e.event === "command")).toEqual([{ event: "command", step: "commands[0]", command: [expect.stringMatching(/python/), "-c", 'import sys; print("M1"); sys.exit(2)'], exit_code: 2 }]);
    expect(result.stderr).toMatch(/\[ponyci\] commands\[0\] failed: exit 2/);
  });

  it("fills in the container's directories, sets the plan's env, runs in cwd, and still reports Django's tests", async () => {
    const result = await run(plan({
      pre: [{ argv: ["{envpython}", "-c", "import os; print('CWD', os.getcwd().endswith('/repo/notes_app'), os.environ['MODE'], os.environ['WHERE'].endswith('/repo/x'))"] }],
      main: [{ argv: ["{envbindir}/python", "-m", "django", "test", "notes_app", "--settings=notes_app.settings"] }],
      cwd: "notes_app",
      env: { MODE: "tox", WHERE: "{toxinidir}/x", PYTHONPATH: "{toxinidir}" },
    }));
    expect(result.stdout).toContain("CWD True tox True");
    expect(result.events[0]).toMatchObject({ event: "start", runner: "tox env t (tox.ini)", command: [expect.stringMatching(/\/python$/), "-m", "django", "test", "notes_app", "--settings=notes_app.settings"] });
    expect(outcomesById(result)).toEqual({ "notes_app.tests.NoteTests.test_passes": "passed", "notes_app.tests.NoteTests.test_fails": "failed" });
    expect(result.stderr).toMatch(/^\[ponyci\] commands\[0\]> \S+\/python -m django test notes_app/m);
    expect(result.exitCode).toBe(1);
  });

  it.each(["..", "../../etc", "/etc"])("refuses a cwd outside the repository (%s) without running anything", async (cwd) => {
    const result = await run(plan({ main: [say("M1")], cwd }));
    expect(printed(result.stdout)).toEqual([]);
    expect(result.events.find((e) => e.event === "error")?.message).toMatch(/change_dir .* is outside the repository/);
    expect(result.exitCode).toBe(70);
  });
});

describe("harness hooks under coverage run", () => {
  let venvBin = "";
  beforeAll(async () => {
    venvBin = await ensureVenv({ name: "django52-coverage", requirements: ["django~=5.2.0", "coverage"] });
  }, 600_000);

  it("reports each test of `coverage run manage.py test`", async () => {
    const commands: CommandPlan = {
      pre: [],
      main: [{ argv: ["coverage", "run", "{toxinidir}/manage.py", "test", "shelf", "--settings=shelf.tests.settings"] }],
      post: [{ argv: ["coverage", "report"] }],
      cwd: "",
      env: {},
      ignoreErrors: false,
      source: "tox env py311-django52 (tox.ini)",
    };
    const result = await runHarness({ project: "tox-commands-settings", venvBin, env: { PONYCI_COMMANDS: JSON.stringify(commands) } });
    expect(outcomesById(result)).toEqual({ "shelf.tests.test_books.BookTests.test_passes": "passed", "shelf.tests.test_books.BookTests.test_fails": "failed" });
    expect(result.events.find((e) => e.event === "test" && e.outcome === "failed")).toMatchObject({ path: "shelf/tests/test_books.py", line: await markerLine("tox-commands-settings", "shelf/tests/test_books.py") });
    expect(result.stdout).toMatch(/TOTAL\s+\d+/);
    expect(result.exitCode).toBe(1);
  });
});
